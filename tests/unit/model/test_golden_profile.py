"""The shipped model answers exactly as it did when ``golden_profile.parquet`` was written.

A refactor of featurisation, priors, the network or the Predictor must not change what a
user gets: every score to 1e-6, every label and flag exactly.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pandas as pd
import pytest

from tests.support import TEST_DATA

_SCRIPT = TEST_DATA / "make_golden_profile.py"
_spec = importlib.util.spec_from_file_location("make_golden_profile", _SCRIPT)
golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(golden)


@pytest.fixture(scope="module")
def profiles() -> tuple[pd.DataFrame, pd.DataFrame]:
    return pd.read_parquet(golden.GOLDEN), golden.profile()


def test_same_rows_and_columns(profiles):
    stored, now = profiles
    assert list(now.columns) == list(stored.columns)
    assert len(now) == len(stored) == 5 * 994 + 1


def test_scores_equal_to_1e6(profiles):
    stored, now = profiles
    numeric = [c for c in stored.columns if pd.api.types.is_float_dtype(stored[c])]
    assert "p_association" in numeric and "max_similarity" in numeric
    for column in numeric:
        np.testing.assert_allclose(
            now[column].to_numpy(float),
            stored[column].to_numpy(float),
            atol=1e-6,
            rtol=0,
            err_msg=column,
        )


def test_labels_and_flags_equal(profiles):
    stored, now = profiles
    exact = [c for c in stored.columns if not pd.api.types.is_float_dtype(stored[c])]
    assert {"band", "conformal_set", "nearest_drug", "in_domain", "error"} <= set(exact)
    for column in exact:
        assert now[column].astype(str).tolist() == stored[column].astype(str).tolist(), column
