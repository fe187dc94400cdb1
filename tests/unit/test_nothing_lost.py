"""Issue #25: nothing lost, nothing hangs. Each case here failed on main before it (the
issue lists what was seen); each now gives one `error:` line, a typed exception, or the
whole output, quickly and with bounded memory."""

from __future__ import annotations

import gzip
import hashlib
import json
import time
from pathlib import Path

import pandas as pd
import pytest

from sefreq.chem.io import OutputPathError, check_output, neutralise_cell
from sefreq.chem.sdf import MAX_SDF_ATOMS
from sefreq.chem.standardize import MAX_FUSED_RINGS, model_structure
from sefreq.cli import main
from sefreq.model.predictor import Predictor
from sefreq.present import molecules
from sefreq.screen import run as run_module
from sefreq.screen.reader import read_chunks
from sefreq.screen.run import screen
from sefreq.screen.source import MAX_GZIP_RATIO, MAX_LINE_BYTES
from sefreq.screen.writer import IncompleteRunError, OutputLock, Parts
from tests.support import bad_inputs as corpus
from tests.support.tiny_model import N_SE

LIBRARY = ["CCO", "c1ccccc1O", "CC(=O)Oc1ccccc1C(=O)O", "CCN(CC)CC", "OC(=O)c1ccccc1",
           "C1CCNCC1", "c1ccncc1", "CCCl", "OCC(O)CO", "CC(C)=O"]  # fmt: skip


@pytest.fixture(scope="module")
def bundle_dir(tiny_ensemble, tmp_path_factory):
    return tiny_ensemble.save(tmp_path_factory.mktemp("bundle"))


@pytest.fixture(scope="module")
def predictor(bundle_dir) -> Predictor:
    return Predictor.from_directory(bundle_dir)


@pytest.fixture
def library(tmp_path):
    path = tmp_path / "in.csv"
    pd.DataFrame({"id": [f"m{i}" for i in range(len(LIBRARY))], "smiles": LIBRARY}).to_csv(
        path, index=False
    )
    return path


def _predict(bundle_dir, *args) -> int:
    return main(["predict", *map(str, args), "--model", str(bundle_dir), "--no-progress"])


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _leftovers(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


# --- 1. output safety --------------------------------------------------------------------


@pytest.mark.parametrize("alias", ["in.csv", "sub/../in.csv"])
def test_the_input_is_never_the_output(bundle_dir, library, alias, capsys, monkeypatch):
    (library.parent / "sub").mkdir()
    before = _sha(library)
    monkeypatch.setattr(run_module, "read_chunks", _never)  # refused before any work
    assert _predict(bundle_dir, library, "-o", library.parent / alias) == 2
    assert "is the input file" in capsys.readouterr().err
    assert _sha(library) == before


def _never(*args, **kwargs):
    raise AssertionError("the run started")


def test_a_bad_output_path_is_refused_before_any_prediction(
    bundle_dir, library, tmp_path, capsys, monkeypatch
):
    monkeypatch.setattr(run_module, "read_chunks", _never)
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    for output, message in ((folder, "is a folder"),
                            (library / "x.csv", "is a file, not a folder"),
                            ("/proc/sefreq-none/x.csv", "cannot write")):  # fmt: skip
        assert _predict(bundle_dir, library, "-o", output) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and message in err and "Traceback" not in err
    assert _leftovers(tmp_path) == []
    with pytest.raises(OutputPathError):
        check_output(folder)


def test_a_second_run_on_the_same_output_is_refused_and_says_who(bundle_dir, library, capsys):
    output = library.parent / "out.csv"
    with OutputLock(output):
        assert _predict(bundle_dir, library, "-o", output) == 2
        err = capsys.readouterr().err
    assert "being written by another run" in err and "process " in err
    assert not output.exists()
    assert _predict(bundle_dir, library, "-o", output) == 0  # free again once released
    assert pd.read_csv(output)["id"].nunique() == len(LIBRARY)
    assert _leftovers(library.parent) == []


def test_the_join_refuses_an_incomplete_set_and_resume_fills_it(bundle_dir, library, monkeypatch):
    output = library.parent / "out.parquet"
    calls = {"n": 0}
    real = run_module.run_processes

    def stop_after_two(chunks, parts, settings, model, finished, jobs):
        def two():
            for chunk in chunks:
                if calls["n"] == 2:
                    raise KeyboardInterrupt
                calls["n"] += 1
                yield chunk

        return real(two(), parts, settings, model, finished, jobs)

    monkeypatch.setattr(run_module, "run_processes", stop_after_two)
    with pytest.raises(KeyboardInterrupt):
        screen(library, output, model_dir=bundle_dir, chunk_size=3, jobs=1, progress=False)
    monkeypatch.setattr(run_module, "run_processes", real)
    folder = output.parent / f".{output.name}.parts"
    (folder / "part-0000000.arrow").unlink()  # a part lost; its summary stays
    summary = screen(library, output, model_dir=bundle_dir, chunk_size=3, jobs=1,
                     resume=True, progress=False)  # fmt: skip
    assert summary.n_molecules == len(LIBRARY) and summary.n_resumed == 3  # chunk 1 only
    table = pd.read_parquet(output)
    assert sorted(table["input_row"].unique()) == list(range(len(LIBRARY)))
    # The join itself: a missing chunk, or summaries that do not add up, is refused.
    manifest = {"settings": {"suffix": ".parquet"}}
    parts = Parts(library.parent / "other.parquet", manifest, resume=False)
    with pytest.raises(IncompleteRunError, match="chunks missing: 0"):
        parts.join(".parquet", n_chunks=1, n_molecules=3)
    assert not (library.parent / "other.parquet").exists()


def test_a_failed_run_leaves_no_parts_folder(bundle_dir, tmp_path, capsys):
    source = tmp_path / "in.smi"
    source.write_bytes(b"CCO a\nCC\xe9 b\n")  # Latin-1 on line 2
    assert _predict(bundle_dir, source, "-o", tmp_path / "out.csv") == 2
    assert "in.smi, line 2: the text is not UTF-8" in capsys.readouterr().err
    assert _leftovers(tmp_path) == []


# --- 4. inputs read strictly; 7. error lines ------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["-k", "0"],
        ["-k", "-5"],
        ["--chunk-size", "-3"],
        ["--jobs", "-2"],
        ["--jobs", "0"],
        ["--dask-workers", "0"],
        ["-k", "two"],
    ],
)
def test_option_values_are_checked_by_the_parser(bundle_dir, library, args, capsys):
    with pytest.raises(SystemExit) as exit:
        _predict(bundle_dir, library, "-o", library.parent / "o.csv", *args)
    assert exit.value.code == 2
    err = capsys.readouterr().err
    assert "error: argument" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("option", "value"), [("k", 0), ("chunk_size", -3), ("jobs", -2), ("k", "5")]
)
def test_option_values_are_checked_by_the_api(bundle_dir, library, option, value):
    with pytest.raises(ValueError, match=option):
        screen(library, library.parent / "o.csv", model_dir=bundle_dir, **{option: value})


def test_a_smiles_is_read_in_full_or_refused(predictor):
    for text in ("CC™", "CCO\u00e9", "C\u200bC", "CC\ud800"):
        parent, error = model_structure(text)
        assert parent is None and "not part of SMILES" in error, text
    table = predictor.predict(["CCO", "CC\ud800", "CC™"], ids=["a", "b", "c"])
    assert (table["id"] == "a").sum() == N_SE  # a lone surrogate no longer aborts the batch
    bad = table[table["id"] != "a"]
    assert len(bad) == 2 and bad["error"].str.contains("not part of SMILES").all()
    assert bad["smiles"].iloc[0] == "CC\\ud800"  # writable back to any file
    table.to_parquet(predictor_path := __import__("io").BytesIO())
    assert predictor_path.tell() > 0


@pytest.mark.parametrize(
    ("value", "error"),
    [(None, TypeError), (42, TypeError), (b"CCO", TypeError)],
)
def test_the_api_refuses_what_is_not_smiles(predictor, value, error):
    with pytest.raises(error, match="SMILES string or a sequence"):
        predictor.predict(value)


@pytest.mark.parametrize("batch_size", [0, -1, 2.5])
def test_the_api_refuses_a_batch_size_that_would_drop_rows(predictor, batch_size):
    with pytest.raises(ValueError, match="batch_size"):
        predictor.predict(["CCO", "CCN"], batch_size=batch_size)
    with pytest.raises(ValueError, match="chunk_size"):  # 0 held the whole input at once
        next(predictor.predict_chunks(["CCO", "CCN"], chunk_size=batch_size))


def _write(path, content: bytes, compress: bool = False):
    path.write_bytes(gzip.compress(content, 1) if compress else content)
    return path


def test_encodings_are_detected_or_refused_with_file_and_line(tmp_path):
    latin = _write(tmp_path / "latin.csv", "smiles,id\nCCO,a\nCCN,café\n".encode("latin-1"))
    with pytest.raises(ValueError, match=r"latin.csv, line 3: the text is not UTF-8 \(byte 0xe9"):
        [c for c in read_chunks(latin)]
    utf16 = _write(tmp_path / "u16.csv", "smiles,id\nCCO,é\n".encode("utf-16"))
    (chunk,) = read_chunks(utf16)
    assert chunk.ids == ["é"] and chunk.smiles == ["CCO"]


def test_a_header_only_table_holds_no_molecule(bundle_dir, tmp_path, capsys):
    source = _write(tmp_path / "h.csv", b"smiles,id\n")
    assert _predict(bundle_dir, source, "-o", tmp_path / "o.csv") == 2
    assert "holds no molecule" in capsys.readouterr().err


def test_a_long_field_names_the_file_and_line_with_or_without_progress(bundle_dir, tmp_path,
                                                                       capsys):  # fmt: skip
    source = _write(tmp_path / "f.csv", b"smiles,id\nCCO,a\n" + b"C" * 1_100_000 + b",b\n")
    for extra in ([], ["--no-progress"]):
        code = main(["predict", str(source), "-o", str(tmp_path / "o.csv"), "--model",
                     str(bundle_dir), *extra])  # fmt: skip
        err = capsys.readouterr().err
        assert code == 2 and "f.csv, line 3: a line longer than 1 MB" in err, err


def test_a_truncated_gzip_is_an_error_line(bundle_dir, tmp_path, capsys):
    data = gzip.compress(b"smiles\n" + b"CCO\n" * 100_000)
    source = _write(tmp_path / "t.csv.gz", data[: len(data) // 2])
    assert _predict(bundle_dir, source, "-o", tmp_path / "o.csv", "--chunk-size", "5000") == 2
    err = capsys.readouterr().err
    assert "gzip stream is truncated" in err and "EOFError" not in err
    assert _leftovers(tmp_path) == [] or all(".parts" in n for n in _leftovers(tmp_path))


# --- 5. bounded work and memory ------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".csv.gz", ".smi.gz", ".sdf.gz"])
def test_a_gzip_bomb_is_refused_at_once(tmp_path, suffix):
    path = tmp_path / f"bomb{suffix}"
    with gzip.open(path, "wb", compresslevel=9) as handle:
        handle.write(b"smiles\n")
        for _ in range(16):  # 256 MB of zeros, 0.25 MB compressed
            handle.write(bytes(1 << 24))
    started = time.perf_counter()
    with pytest.raises(ValueError, match=f"line 2: a line longer than {MAX_LINE_BYTES // 10**6}"):
        [c for c in read_chunks(path)]
    assert time.perf_counter() - started < 2


def test_a_gzip_of_blank_lines_is_refused_at_once(tmp_path):
    path = tmp_path / "blank.smi.gz"
    with gzip.open(path, "wb", compresslevel=9) as handle:
        for _ in range(32):
            handle.write(b"\n" * (1 << 24))
    started = time.perf_counter()
    with pytest.raises(ValueError, match="blank lines"):
        [c for c in read_chunks(path)]
    assert time.perf_counter() - started < 2
    assert MAX_GZIP_RATIO * path.stat().st_size < 32 * (1 << 24)  # the ratio cap is the backstop


def test_sdf_records_are_sized_from_their_counts_line_before_rdkit(tmp_path):
    good = (
        b"ethanol\n  x\n\n  3  2  0  0  0  0  0  0  0  0999 V2000\n"
        + b"".join(f"    0.0000    0.0000    0.0000 {e}   0  0\n".encode() for e in "CCO")
        + b"  1  2  1  0\n  2  3  1  0\nM  END\n$$$$\n"
    )
    cases = {
        "20,000 atoms (the counts line overflows)": corpus.v2000_chain(20_000, "2000019999"),
        "200,000 atoms, V3000": corpus.v3000_chain(200_000),
        "2,500 atoms, V3000": corpus.v3000_chain(2_500),
    }
    for name, record in cases.items():
        path = _write(tmp_path / "big.sdf", record + good)
        started = time.perf_counter()
        chunks = list(read_chunks(path))
        assert time.perf_counter() - started < 2, name
        errors = [e for c in chunks for e in c.errors]
        assert errors[0] and (f"{MAX_SDF_ATOMS:,}" in errors[0]), (name, errors[0])
        assert errors[1] is None and chunks[0].ids[1] == "ethanol" and chunks[0].smiles[1] == "CCO"


CAGE = corpus.CAGE  # 844 characters, 212 atoms: 3 GB in 66 s on main


def test_pathological_structures_are_answered_within_two_seconds(predictor, tmp_path):
    for smiles in (CAGE, "C1" + "C%10C%11C%12" * 14 + "C1", "c1ccc2cc3ccccc3cc2c1" * 8):
        started = time.perf_counter()
        parent, error = model_structure(smiles)
        table = predictor.predict([smiles])
        assert time.perf_counter() - started < 2
        if parent is None:
            assert f"at most {MAX_FUSED_RINGS}" in error or "heavy atoms" in error
            assert len(table) == 1 and table["error"].iloc[0] == error
    assert model_structure(CAGE)[0] is None
    # Rings in a chain are cheap to perceive and are drugs: an antisense oligonucleotide
    # (40 rings, one sugar and one base at a time) is scored.
    oligo = "OCC1OC(n2ccc(=O)[nH]c2=O)CC1OP(=O)(O)" * 20 + "O"
    assert model_structure(oligo)[1] is None
    sdf = _write(tmp_path / "cage.sdf", corpus.v2000_of(CAGE, "c") + corpus.v2000_of("CCO", "e"))
    started = time.perf_counter()
    (chunk,) = read_chunks(sdf)  # RDKit's SDF reader perceives rings even unsanitised
    assert "106 fused rings" in chunk.errors[0] and chunk.smiles[1] == "CCO"
    cage, ethanol = molecules.read_upload("cage.sdf", sdf.read_bytes())
    assert (cage.id, cage.smiles, ethanol) == ("record1", "", ("e", "CCO", None))
    # The batch table says why the record was refused, not only that it was.
    refused, _ = molecules.prepare_batch([cage, ethanol], molecules.UPLOAD)
    assert "106 fused rings" in refused.error and refused.error == cage.problem
    assert time.perf_counter() - started < 2


# --- 10. spreadsheet formulas ----------------------------------------------------------------


def test_csv_headers_and_disguised_formulas_are_neutralised(bundle_dir, tmp_path):
    name = '=HYPERLINK("http://evil")'
    source = tmp_path / "in.csv"
    pd.DataFrame({"smiles": ["CCO", "CCN", "CCC"], name: [" =1+1", "\n=2+2", "＝3+3"]}).to_csv(
        source, index=False
    )
    out = tmp_path / "out.csv"
    assert _predict(bundle_dir, source, "-o", out, "--keep", name, "--format", "top-k") == 0
    header = out.read_text().splitlines()[0]
    assert f"'{name}" in header.replace('""', '"')
    cells = pd.read_csv(out)[f"'{name}"].unique().tolist()
    assert all(c.startswith("'") for c in cells), cells
    for safe in ("CCO", "1.5", "a=b"):
        assert neutralise_cell(safe) == safe
    assert json.dumps(neutralise_cell("\u3000=1")).startswith("\"'")


def test_every_command_refuses_a_bad_output_path_before_any_work(tmp_path, capsys, monkeypatch):
    import sefreq.data

    monkeypatch.setattr(sefreq.data, "load_dataset", _never)  # no work before the check
    folder = tmp_path / "d.csv"
    folder.mkdir()
    afile = tmp_path / "f.txt"
    afile.write_text("x")
    for argv in (["which", "--symptom", "headache", "--drugs", "aspirin", "--csv", str(folder)],
                 ["explain", "CCO", "-o", str(afile / "x.svg")],
                 ["report", "aspirin", "-o", str(folder)]):  # fmt: skip
        code = main(argv)
        err = capsys.readouterr().err
        assert code != 0 and err.startswith("error: ") and "Traceback" not in err, argv
        assert "is a folder" in err or "is a file, not a folder" in err, err


def test_every_hostile_file_of_the_corpus_is_answered_within_two_seconds(
    bundle_dir, tmp_path, capsys
):
    for case, path in corpus.hostile_files(tmp_path / "corpus"):
        started = time.perf_counter()
        code = _predict(bundle_dir, path, "-o", tmp_path / "out.csv", "--jobs", "1")
        seconds = time.perf_counter() - started
        err = capsys.readouterr().err
        assert code in (0, 2) and seconds < 2, (case, code, seconds)
        assert "Traceback" not in err and (code == 0 or err.startswith("error: ")), (case, err)
        assert _leftovers(tmp_path) == [], case


def test_rdkit_prints_nothing_even_after_an_inchi_is_read(capfd):
    # #25: the first dataset build printed about 2,650 RDKit lines (the catalogue turned
    # RDKit's log back on after reading each InChI).
    from sefreq.chem.standardize import standardize
    from sefreq.data.catalogue import _inchi_smiles

    assert _inchi_smiles("InChI=1S/C2H6O/c1-2-3/h3H,2H2,1H3") == "CCO"
    standardize("CC(=O)[O-].[Na+]")
    model_structure("C1CC(")
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    package = Path(__file__).resolve().parents[2] / "sefreq"
    assert not [p.name for p in package.rglob("*.py") if "EnableLog" in p.read_text()]
