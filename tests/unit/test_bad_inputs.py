"""Every case of the bad-input corpus (tests/support/bad_inputs.py) through the API, the CLI and
the upload reader: a specific message or a profile, never an exception, and the rest of the
batch still scored."""

from __future__ import annotations

import pandas as pd
import pytest

from sefreq.chem.standardize import MAX_HEAVY_ATOMS, model_structure
from sefreq.cli import main
from sefreq.model.predictor import Predictor
from sefreq.present import molecules
from tests.support import bad_inputs as corpus
from tests.support.tiny_model import N_SE

CASES = corpus.SMILES_CASES
FILES = corpus.file_cases()
MUST_REFUSE = ("syntax", "blank", "10k", "100k", "just over", "600-", "1000-", "peptide",
               "cage", "trailing", "lone", "zero-width")  # fmt: skip


def test_the_corpus_is_large_and_covers_the_kinds():
    assert len(CASES) + len(FILES) >= 150
    kinds = {name.split()[0] for name, _ in CASES}
    assert {"syntax", "blank", "unicode", "metal", "radical", "charged", "mixture",
            "isotope", "formula", "odd"} <= kinds  # fmt: skip


@pytest.fixture(scope="module")
def bundle_dir(tiny_ensemble, tmp_path_factory):
    return tiny_ensemble.save(tmp_path_factory.mktemp("bundle"))


@pytest.fixture(scope="module")
def profile(bundle_dir) -> pd.DataFrame:
    ids = [f"case{i}" for i in range(len(CASES))] + ["good"]
    return Predictor.from_directory(bundle_dir).predict([s for _, s in CASES] + ["CCO"], ids=ids)


@pytest.mark.parametrize("index", range(len(CASES)), ids=[name for name, _ in CASES])
def test_api_answers_each_case(profile, index):
    name, _ = CASES[index]
    rows = profile[profile["id"] == f"case{index}"]
    if len(rows) == 1 and rows["side_effect_index"].iloc[0] == -1:
        message = rows["error"].iloc[0]
        assert isinstance(message, str) and len(message) > 15 and "Traceback" not in message
    else:
        assert len(rows) == N_SE and rows["p_association"].between(0, 1).all()
        assert not name.startswith(MUST_REFUSE), f"{name} should have been refused"
    if name.startswith(MUST_REFUSE):
        assert len(rows) == 1


def test_the_rest_of_the_batch_is_scored(profile):
    assert (profile["id"] == "good").sum() == N_SE
    assert profile["id"].drop_duplicates().tolist() == [f"case{i}" for i in range(len(CASES))] + [
        "good"
    ]


def test_size_refusals_say_why():
    for smiles in ("C" * 600, "C" * 10_001, "CC(C)" * 200):
        parent, error = model_structure(smiles)
        assert parent is None
        assert f"{MAX_HEAVY_ATOMS}" in error and "heavy atoms" in error


def test_dashboard_preparation_agrees_with_the_model_gate():
    for name, smiles in CASES:
        _, error = model_structure(smiles)
        molecule = molecules.prepare(smiles, name, molecules.PASTED)
        assert (error is None) == molecule.ok, name
        if error is not None:
            assert molecule.error


def test_cli_scores_a_file_of_bad_rows_and_names_each(bundle_dir, tmp_path):
    # Control characters would make the whole file unreadable text: they go through the API.
    # A lone surrogate cannot be written to any file either.
    usable = [(n, s) for n, s in CASES
              if not any(c in s for c in "\x00\r\n") and "surrogate" not in n]  # fmt: skip
    source = tmp_path / "bad.csv"
    ids, smiles = [n for n, _ in usable] + ["good"], [s for _, s in usable] + ["CCO"]
    pd.DataFrame({"id": ids, "smiles": smiles}).to_csv(source, index=False)
    out = tmp_path / "out.csv"
    assert main(["predict", str(source), "-o", str(out), "--model", str(bundle_dir),
                 "--no-progress"]) == 0  # fmt: skip
    table = pd.read_csv(out, keep_default_na=False)
    assert (table["id"] == "good").sum() == N_SE
    refused = table[table["side_effect_index"] == -1]
    assert set(refused["id"]) >= {n for n, s in usable if n.startswith(MUST_REFUSE) and s.strip()}
    assert (refused["error"].str.len() > 15).all()


@pytest.mark.parametrize("case", FILES, ids=[c[0] for c in FILES])
def test_upload_reader_answers_each_file(case):
    _, filename, content = case
    try:
        entries = molecules.read_upload(filename, content)
    except molecules.MoleculeInputError as error:
        assert len(str(error)) > 15
        return
    assert 0 < len(entries) <= molecules.MAX_BATCH
    batch = molecules.prepare_batch(entries, molecules.UPLOAD)
    assert len(batch) == len(entries)
    assert all(m.ok or m.error for m in batch)


def test_specific_uploads():
    read = molecules.read_upload
    files = {name: (filename, content) for name, filename, content in FILES}
    assert read(*files["utf-16 le"]) == [("é", "CCO", None)]
    assert read(*files["utf-16 be"]) == [("b", "CCO", None)]
    assert read(*files["latin-1"]) == [("café", "CCO", None)]
    assert read(*files["formula cells"])[0][:2] == ("=1+1", "=cmd|' /C calc'!A0")
    for name, message in (("601 rows", "more than the dashboard"), ("over 20 MB", "at most 20"),
                          ("sdf 601 records", "more than"), ("binary junk", "binary"),
                          ("spreadsheet", "neither a CSV nor an SDF"),
                          ("no smiles column", "No 'smiles' column")):  # fmt: skip
        with pytest.raises(molecules.MoleculeInputError, match=message):
            read(*files[name])


#: Files of two chunks or more: `sefreq predict` reads them with a pool of worker processes.
POOLED = ("601 rows", "sdf 601 records")


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(c, marks=[pytest.mark.slow] if c[0] in POOLED else [], id=c[0])
        for c in FILES
        if c[0] not in ("over 20 MB",)
    ],
)
def test_cli_answers_each_file(case, bundle_dir, tmp_path, capsys):
    _, filename, content = case
    source = tmp_path / filename
    source.write_bytes(content)
    out = tmp_path / "out.csv"
    code = main(["predict", str(source), "-o", str(out), "--model", str(bundle_dir),
                 "--no-progress"])  # fmt: skip
    err = capsys.readouterr().err
    assert code in (0, 2)
    if code == 2:
        assert err.startswith("error: ") and "Traceback" not in err
    else:
        assert out.is_file()
