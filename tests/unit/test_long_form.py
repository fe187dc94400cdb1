"""The long form built as columns (#24) gives what the pandas-object build gave.

``Predictor.predict`` is compared, frame for frame (dtypes, categories, order, values),
with the long table as commit af5fd79 built it, kept below verbatim; the screening
writer's Arrow table with what the same chunk gave through that DataFrame.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from test_model import tiny_data, tiny_ensemble  # noqa: F401 (fixtures)

from sefreq.chem.stream import MoleculeChunk
from sefreq.model.columns import BAND_LABELS, SET_LABELS
from sefreq.model.predictor import Predictor, _categorical
from sefreq.model.screen import ScreenSettings, _plain, frame_chunk_table, long_chunk_table


@pytest.fixture(scope="module")
def predictor(tiny_ensemble, tmp_path_factory) -> Predictor:  # noqa: F811
    return Predictor.from_directory(tiny_ensemble.save(tmp_path_factory.mktemp("bundle")))


def _long_table_at_af5fd79(self, out, ids, smiles) -> pd.DataFrame:
    """``Predictor._long_table`` at commit af5fd79: the golden reference."""
    n, n_se = out.p_association.shape
    probabilities = out.class_probabilities.reshape(n * n_se, 5)
    frequency_class = probabilities.argmax(1) + 1
    in_domain = out.max_similarity >= self.ensemble.ad_threshold
    molecule = np.repeat(np.arange(n), n_se)
    side_effect = np.tile(np.arange(n_se), n)
    columns = {
        "id": _categorical(molecule, ids),
        "smiles": _categorical(molecule, smiles),
        "side_effect_index": side_effect,
        "side_effect": pd.Categorical.from_codes(side_effect, self._side_effect_categories),
        "organ_classes": _categorical(side_effect, self._organ_text),
        "p_association": out.p_association.ravel(),
    }
    for c in range(5):
        columns[f"p_class_{c + 1}"] = probabilities[:, c]
    columns.update(
        {
            "expected_frequency": out.expected_frequency.ravel(),
            "frequency_class": frequency_class,
            "band": _categorical(frequency_class, BAND_LABELS),
            "uncertainty": out.uncertainty.ravel(),
            "frequency_spread": out.frequency_spread.ravel(),
            "conformal_set": _categorical(out.conformal_sets.ravel(), SET_LABELS),
            "in_domain": np.repeat(in_domain, n_se),
            "max_similarity": np.repeat(out.max_similarity, n_se),
            "nearest_drug": _categorical(molecule, self._reference_names[out.nearest_index]),
            "error": pd.Series(np.full(n * n_se, None, dtype=object), dtype=object),
        }
    )
    return pd.DataFrame(columns, copy=False)


CASES = {
    "one": (["CC(=O)Oc1ccccc1C(=O)O"], None, 256),
    "batches, a bad one, repeated ids": (
        ["CCO", "c1ccccc1O", "C1CC(", "CCN(CC)CC", "[Na+].[O-]C(=O)c1ccccc1", "CCO"],
        ["a", "b", "bad", "d", "salt", "a"],
        2,
    ),
    "ids of mixed types": (["CCO", "c1ccncc1", ""], [3, "x", 3.5], 256),
    "none readable": (["C1CC(", "nonsense"], None, 256),
    "nothing": ([], None, 256),
}


@pytest.mark.parametrize("case", list(CASES))
def test_predict_returns_the_frame_of_af5fd79(predictor, monkeypatch, case):
    smiles, ids, batch_size = CASES[case]
    now = predictor.predict(smiles, ids=ids, batch_size=batch_size)
    monkeypatch.setattr(Predictor, "_long_table", _long_table_at_af5fd79)
    before = predictor.predict(smiles, ids=ids, batch_size=batch_size)
    pd.testing.assert_frame_equal(now, before, check_exact=True)


CHUNK = MoleculeChunk(
    index=0,
    first_row=40,
    ids=["m0", "m1", "m2", "m3", "m4", "m5"],
    smiles=["CCO", "=cmd|' /C calc'!A0", "c1ccccc1O", "", "CC(=O)Oc1ccccc1C(=O)O", "CCCl"],
    columns={"batch": ["b0", "-1+1", None, "b3", "b4", "b5"], "score": [1, 2, 3, 4, 5, 6]},
    errors=[None, None, None, None, None, "line 46: no SMILES"],
)


@pytest.mark.parametrize("csv", [False, True])
@pytest.mark.parametrize("readable", [False, True])
def test_screening_columns_are_the_frame_path_values(predictor, csv, readable):
    settings = ScreenSettings(format="long", csv=csv)
    chunk = (
        CHUNK
        if not readable
        else MoleculeChunk(0, 0, ["a", "b"], ["CCO", "CCN"], errors=[None, None])
    )
    table, n_errors = long_chunk_table(predictor, chunk, settings)
    before, n_errors_before = frame_chunk_table(predictor, chunk, settings)
    assert n_errors == n_errors_before == (0 if readable else 3)  # unparsable, empty, unread
    assert pa.types.is_dictionary(table.schema.field("side_effect").type)
    assert pa.types.is_dictionary(table.schema.field("band").type)
    decoded, before = _text_as_string(_plain(table)), _text_as_string(before)
    assert decoded.schema.equals(before.schema)
    assert decoded.equals(before)
    if csv and not readable:  # a cell a spreadsheet would run as a formula is quoted
        assert "'=cmd|' /C calc'!A0" in decoded["smiles"].to_pylist()
        assert "'-1+1" in decoded["batch"].to_pylist()


def _text_as_string(table: pa.Table) -> pa.Table:
    """``large_string`` read as ``string``: the DataFrame path typed a text column either
    way depending on the chunk's content (pandas' str columns, or categoricals)."""
    return table.cast(
        pa.schema(
            [
                f.with_type(pa.string()) if pa.types.is_large_string(f.type) else f
                for f in table.schema
            ]
        )
    )
