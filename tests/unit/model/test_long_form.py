"""The output forms built as columns (#24) give what the pandas-object build gave.

``Predictor.predict`` is compared, frame for frame (dtypes, categories, order, values),
with the long table as commit af5fd79 built it; the screening writer's Arrow table of
every form with what af5fd79's writer made of the same chunk. Both kept below verbatim.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from sefreq.chem.io import neutralise_formulas
from sefreq.model.columns import BAND_LABELS, SET_LABELS
from sefreq.model.predictor import Predictor, _categorical
from sefreq.screen.forms import ScreenSettings, chunk_table, select_columns
from sefreq.screen.reader import MoleculeChunk


@pytest.fixture(scope="module")
def predictor(tiny_ensemble, tmp_path_factory) -> Predictor:
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
            # The one column added since af5fd79 (model 2.0's mechanism view, #22).
            "known_mechanism": np.repeat(out.mechanism_known, n_se),
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


def _chunk_table_at_af5fd79(predictor, chunk, settings) -> tuple[pa.Table, int]:
    """``sefreq.model.screen.chunk_table`` at commit af5fd79 (and ``_plain``): every form
    through :meth:`Predictor.predict`'s DataFrame. The golden reference."""
    positions = list(range(len(chunk)))
    smiles = [s if e is None else "" for s, e in zip(chunk.smiles, chunk.errors, strict=True)]
    frame = predictor.predict(smiles, ids=positions, format=settings.format, k=settings.k)
    position = frame["id"].to_numpy(dtype=np.int64)
    frame["id"] = np.asarray(chunk.ids, dtype=object)[position]
    frame.insert(1, "input_row", chunk.first_row + position)
    frame["smiles"] = np.asarray(chunk.smiles, dtype=object)[position]
    for offset, (name, values) in enumerate(chunk.columns.items()):
        frame.insert(3 + offset, name, np.asarray(values, dtype=object)[position])
    read_errors = np.asarray(chunk.errors, dtype=object)[position]
    has_read_error = np.array([e is not None for e in read_errors], dtype=bool)
    if has_read_error.any():
        frame.loc[has_read_error, "error"] = read_errors[has_read_error]
    n_errors = int(frame.loc[frame["error"].notna(), "input_row"].nunique())
    if settings.columns:
        frame = frame[select_columns(list(frame.columns), settings.columns)]
    if settings.neutralise:  # af5fd79: settings.csv
        frame = neutralise_formulas(frame)
    return _plain(pa.Table.from_pandas(frame, preserve_index=False)), n_errors


def _plain(table: pa.Table) -> pa.Table:
    """Dictionary columns decoded and all-null columns typed as text (af5fd79)."""
    columns = []
    for column in table.columns:
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        elif pa.types.is_null(column.type):
            column = column.cast(pa.string())
        columns.append(column)
    return pa.table(columns, names=table.column_names)


CHUNKS = {
    "unreadable ones": MoleculeChunk(
        index=0,
        first_row=40,
        ids=["m0", "m1", "m2", "m3", "m4", "m5"],
        smiles=["CCO", "=cmd|' /C calc'!A0", "c1ccccc1O", "", "CC(=O)Oc1ccccc1C(=O)O", "CCCl"],
        columns={"batch": ["b0", "-1+1", None, "b3", "b4", "b5"], "score": [1, 2, 3, 4, 5, 6]},
        errors=[None, None, None, None, None, "line 46: no SMILES"],
    ),
    "all readable": MoleculeChunk(0, 0, ["a", "b"], ["CCO", "CCN"], errors=[None, None]),
    "none readable": MoleculeChunk(1, 2, ["x"], ["C1CC("], errors=[None]),
}


@pytest.mark.parametrize("csv", [False, True])
@pytest.mark.parametrize("chunk", list(CHUNKS))
@pytest.mark.parametrize("form", ["long", "wide", "top_k"])
def test_screening_table_holds_what_af5fd79_wrote(predictor, form, chunk, csv):
    settings = ScreenSettings(format=form, k=4, suffix=".csv" if csv else ".parquet")
    table, n_errors = chunk_table(predictor, CHUNKS[chunk], settings)
    before, n_errors_before = _chunk_table_at_af5fd79(predictor, CHUNKS[chunk], settings)
    assert n_errors == n_errors_before
    if form != "wide":
        assert pa.types.is_dictionary(table.schema.field("side_effect").type)
        assert pa.types.is_dictionary(table.schema.field("band").type)
    decoded, before = _text_as_string(_plain(table)), _text_as_string(before)
    assert decoded.schema.equals(before.schema)
    assert decoded.equals(before)


def test_selected_columns_and_neutralised_cells(predictor):
    settings = ScreenSettings(columns=("band", "p_association", "batch", "error"), suffix=".csv")
    table, n_errors = chunk_table(predictor, CHUNKS["unreadable ones"], settings)
    before, _ = _chunk_table_at_af5fd79(predictor, CHUNKS["unreadable ones"], settings)
    assert n_errors == 3  # unparsable, empty, unread
    assert table.column_names == ["id", "input_row", "batch", "p_association", "band", "error"]
    assert _text_as_string(_plain(table)).equals(_text_as_string(before))
    assert "'-1+1" in table["batch"].to_pylist()  # a spreadsheet would run it as a formula


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


def test_every_form_is_one_entry_the_api_and_screening_share(predictor) -> None:
    """#24: a form was a tuple of names and an if-chain in ``Predictor`` beside the
    screening registry; now each form is one entry, its columns written once."""
    from sefreq.model.columns import FORM_COLUMNS
    from sefreq.model.predictor import FORMATS
    from sefreq.screen.forms import FORMS

    assert set(FORMATS) == set(FORM_COLUMNS) == set(FORMS)
    names = predictor.side_effect_names
    for name in FORMATS:
        frame = predictor.predict(["CCO", "not a smiles"], format=name.replace("_", "-"), k=3)
        assert tuple(frame.columns) == FORM_COLUMNS[name](names)
        assert FORMS[name].columns(names) == FORM_COLUMNS[name](names)[2:]
    with pytest.raises(ValueError, match="choose from long, wide, top_k"):
        predictor.predict("CCO", format="tall")
