"""Streaming `sefreq predict` (issue #13): every input and output form, chunks, bad rows,
resume, several processes and the Dask engine, on a tiny bundle."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pandas as pd
import pytest
from rdkit import Chem

from sefreq.cli import main
from sefreq.model.columns import MOLECULE_COLUMNS, TOP_K_COLUMNS
from sefreq.model.predictor import Predictor
from sefreq.screen import workers as workers_module
from sefreq.screen.reader import count_molecules, read_chunks
from sefreq.screen.run import screen
from sefreq.screen.writer import ResumeError
from tests.support.tiny_model import N_SE

LIBRARY = ["CCO", "c1ccccc1O", "CC(=O)Oc1ccccc1C(=O)O", "not a smiles", "CCN(CC)CC",
           "OC(=O)c1ccccc1", "C1CCNCC1", "CC(C)Cc1ccc(cc1)C(C)C(=O)O", "c1ccncc1", "CCCl",
           "", "OCC(O)CO", "CC(C)=O"]  # fmt: skip


@pytest.fixture(scope="module")
def bundle_dir(tiny_ensemble, tmp_path_factory):
    return tiny_ensemble.save(tmp_path_factory.mktemp("bundle"))


@pytest.fixture(scope="module")
def predictor(bundle_dir) -> Predictor:
    return Predictor.from_directory(bundle_dir)


@pytest.fixture
def library_csv(tmp_path):
    path = tmp_path / "library.csv"
    pd.DataFrame(
        {
            "name": [f"m{i}" for i in range(len(LIBRARY))],
            "smiles": LIBRARY,
            "batch": [f"b{i % 3}" for i in range(len(LIBRARY))],
        }
    ).to_csv(path, index=False)
    return path


def _run(args, bundle_dir) -> int:
    return main(["predict", *map(str, args), "--model", str(bundle_dir), "--no-progress"])


def test_predict_forms_agree_with_the_long_table(predictor):
    long = predictor.predict(LIBRARY[:4], ids=list("abcd"))
    wide = predictor.predict(LIBRARY[:4], ids=list("abcd"), format="wide")
    top = predictor.predict(LIBRARY[:4], ids=list("abcd"), format="top-k", k=5)
    assert list(wide.columns[: len(MOLECULE_COLUMNS)]) == list(MOLECULE_COLUMNS)
    assert wide.shape == (4, len(MOLECULE_COLUMNS) + 2 * N_SE)
    assert list(top.columns) == list(TOP_K_COLUMNS)
    names = predictor.side_effects["side_effect"].tolist()
    for molecule in "abc":
        rows = long[long["id"] == molecule]
        p = wide.loc[wide["id"] == molecule, [f"p_association:{n}" for n in names]].to_numpy()[0]
        np.testing.assert_allclose(p, rows["p_association"].to_numpy(), rtol=1e-6)
        classes = wide.loc[wide["id"] == molecule, [f"frequency_class:{n}" for n in names]]
        np.testing.assert_array_equal(classes.to_numpy()[0], rows["frequency_class"].to_numpy())
        best = rows.sort_values(["p_association", "side_effect_index"],
                                ascending=[False, True]).head(5)  # fmt: skip
        mine = top[top["id"] == molecule]
        assert mine["rank"].tolist() == [1, 2, 3, 4, 5]
        assert mine["side_effect_index"].tolist() == best["side_effect_index"].tolist()
        assert mine["band"].tolist() == best["band"].astype(str).tolist()
    # The unreadable molecule: one row in every form, with its reason, in input order.
    for table in (wide, top):
        bad = table[table["id"] == "d"]
        assert len(bad) == 1 and bad["error"].iloc[0]
        assert table["id"].drop_duplicates().tolist() == list("abcd")
    with pytest.raises(ValueError, match="unknown format"):
        predictor.predict("CCO", format="tall")


def test_predict_chunks_streams_any_iterable(predictor):
    frames = list(predictor.predict_chunks(iter(LIBRARY), chunk_size=5, format="top_k", k=3))
    assert [f["id"].nunique() for f in frames] == [5, 5, 3]
    together = pd.concat(frames, ignore_index=True)
    at_once = predictor.predict(LIBRARY, format="top_k", k=3)
    pd.testing.assert_frame_equal(together, at_once)


def test_readers_chunk_every_input_kind(tmp_path):
    smi = tmp_path / "lib.smi.gz"
    with gzip.open(smi, "wt") as handle:
        handle.write("# a comment\n" + "".join(f"{s or 'X'} m{i}\n" for i, s in enumerate(LIBRARY)))
    sdf = tmp_path / "lib.sdf"
    with Chem.SDWriter(str(sdf)) as writer:
        for i, s in enumerate(LIBRARY[:3]):
            mol = Chem.MolFromSmiles(s)
            mol.SetProp("_Name", f"s{i}")
            mol.SetProp("vendor", f"v{i}")
            writer.write(mol)
    with open(sdf, "a") as handle:  # a record RDKit cannot read
        handle.write("broken\n\n\n  1  0  0  0  0  0            999 V2000\nnonsense\n$$$$\n")
    chunks = list(read_chunks(smi, 4))
    assert [len(c) for c in chunks] == [4, 4, 4, 1]
    assert [c.first_row for c in chunks] == [0, 4, 8, 12]
    assert chunks[0].ids[:2] == ["m0", "m1"] and count_molecules(smi) == len(LIBRARY)
    records = [c for chunk in read_chunks(sdf, 2, keep=["vendor"]) for c in zip(
        chunk.ids, chunk.smiles, chunk.columns["vendor"], chunk.errors, strict=True)]  # fmt: skip
    assert [r[0] for r in records] == ["s0", "s1", "s2", "record4"]
    assert records[1][2] == "v1" and records[3][3] and not records[0][3]
    assert count_molecules(sdf) == 4


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
@pytest.mark.parametrize("form", ["long", "wide", "top-k"])
def test_cli_streams_each_form_in_chunks(tmp_path, library_csv, bundle_dir, predictor, suffix,
                                         form):  # fmt: skip
    out = tmp_path / f"out{suffix}"
    assert _run([library_csv, "-o", out, "--format", form, "-k", "4", "--chunk-size", "3",
                 "--jobs", "1", "--keep", "batch"], bundle_dir) == 0  # fmt: skip
    table = pd.read_parquet(out) if suffix == ".parquet" else pd.read_csv(out)
    assert not (tmp_path / f".out{suffix}.parts").exists()
    assert list(table.columns[:4]) == ["id", "input_row", "smiles", "batch"]
    assert table["input_row"].drop_duplicates().tolist() == list(range(len(LIBRARY)))
    assert table["id"].drop_duplicates().tolist() == [f"m{i}" for i in range(len(LIBRARY))]
    key = form.replace("-", "_")
    direct = predictor.predict(LIBRARY, ids=[f"m{i}" for i in range(len(LIBRARY))],
                               format=key, k=4)  # fmt: skip
    assert len(table) == len(direct)
    np.testing.assert_allclose(
        table.filter(like="p_association").to_numpy(dtype=float),
        direct.filter(like="p_association").to_numpy(dtype=float), rtol=1e-5,
    )  # fmt: skip
    bad = table[table["error"].fillna("").astype(str).str.len() > 0]
    assert set(bad["input_row"]) == {3, 10}  # the unreadable and the empty SMILES


def test_columns_keep_only_what_is_asked(tmp_path, library_csv, bundle_dir):
    out = tmp_path / "wide.parquet"
    assert _run([library_csv, "-o", out, "--format", "wide", "--columns",
                 "p_association,in_domain"], bundle_dir) == 0  # fmt: skip
    columns = pd.read_parquet(out).columns.tolist()
    assert columns[:3] == ["id", "input_row", "in_domain"]
    assert len(columns) == 3 + N_SE and all(c.startswith("p_association:") for c in columns[3:])
    code = _run([library_csv, "-o", out, "--format", "wide", "--columns", "colour"], bundle_dir)
    assert code == 2


@pytest.mark.slow  # a process pool
def test_several_processes_write_what_one_does(tmp_path, library_csv, bundle_dir):
    one, two = tmp_path / "one.parquet", tmp_path / "two.parquet"
    common = ["--format", "top-k", "-k", "3", "--chunk-size", "2"]
    assert _run([library_csv, "-o", one, *common, "--jobs", "1"], bundle_dir) == 0
    assert _run([library_csv, "-o", two, *common, "--jobs", "2"], bundle_dir) == 0
    pd.testing.assert_frame_equal(pd.read_parquet(one), pd.read_parquet(two))


def test_a_chunk_is_predicted_with_blas_on_the_worker_threads(
    tmp_path, library_csv, bundle_dir, monkeypatch
):
    """Left at one BLAS thread per core, every worker's BLAS fights the other workers."""
    from threadpoolctl import threadpool_info

    seen = []
    real = workers_module.chunk_table

    def spy(predictor, chunk, settings):
        seen.append({pool["internal_api"]: pool["num_threads"] for pool in threadpool_info()})
        return real(predictor, chunk, settings)

    monkeypatch.setattr(workers_module, "chunk_table", spy)
    before = {pool["internal_api"]: pool["num_threads"] for pool in threadpool_info()}
    out = tmp_path / "out.parquet"
    screen(library_csv, out, model_dir=bundle_dir, format="top_k", chunk_size=5, jobs=1,
           progress=False)  # fmt: skip
    assert len(seen) == 3 and all(set(limits.values()) == {1} for limits in seen), seen
    # the caller's own setting is back afterwards
    assert {pool["internal_api"]: pool["num_threads"] for pool in threadpool_info()} == before


def test_resume_predicts_only_the_missing_chunks(tmp_path, library_csv, bundle_dir,
                                                 monkeypatch):  # fmt: skip
    out = tmp_path / "out.parquet"
    reference = tmp_path / "reference.parquet"
    options = dict(model_dir=bundle_dir, format="wide", chunk_size=3, jobs=1, progress=False)
    screen(library_csv, reference, **options)
    real = workers_module.predict_part
    calls = []

    def interrupted(chunk, *args, **kwargs):
        calls.append(chunk.index)
        if chunk.index == 2:
            raise KeyboardInterrupt
        return real(chunk, *args, **kwargs)

    monkeypatch.setattr(workers_module, "predict_part", interrupted)
    with pytest.raises(KeyboardInterrupt):
        screen(library_csv, out, **options)
    parts = tmp_path / ".out.parquet.parts"
    assert sorted(p.name for p in parts.glob("part-*.arrow")) == [
        "part-0000000.arrow", "part-0000001.arrow"]  # fmt: skip
    assert not out.exists()
    calls.clear()

    def recording(chunk, *args, **kwargs):
        calls.append(chunk.index)
        return real(chunk, *args, **kwargs)

    monkeypatch.setattr(workers_module, "predict_part", recording)
    summary = screen(library_csv, out, resume=True, **options)
    assert calls == [2, 3, 4] and summary.n_resumed == 6 and summary.n_molecules == len(LIBRARY)
    pd.testing.assert_frame_equal(pd.read_parquet(out), pd.read_parquet(reference))
    # Parts made with other settings are never mixed in.
    monkeypatch.setattr(workers_module, "predict_part", interrupted)
    with pytest.raises(KeyboardInterrupt):
        screen(library_csv, out, **options)
    with pytest.raises(ResumeError, match="chunk_size"):
        screen(library_csv, out, resume=True, **{**options, "chunk_size": 4})
    manifest = json.loads((parts / "manifest.json").read_text())
    assert manifest["chunk_size"] == 3


def test_cli_refuses_bad_requests_with_a_message(tmp_path, library_csv, bundle_dir, capsys):
    for args in (
        [library_csv, "-o", tmp_path / "out.xlsx"],
        [tmp_path / "missing.csv", "-o", tmp_path / "out.csv"],
        [library_csv, "-o", tmp_path / "out.csv", "--smiles-column", "structure"],
        [library_csv, "-o", tmp_path / "out.csv", "--keep", "colour"],
    ):
        assert _run(args, bundle_dir) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and "Traceback" not in err


@pytest.mark.slow  # a Dask cluster
def test_dask_local_cluster_writes_what_one_process_does(tmp_path, library_csv, bundle_dir):
    pytest.importorskip("dask.distributed")
    one, cluster = tmp_path / "one.parquet", tmp_path / "dask.parquet"
    common = ["--format", "long", "--chunk-size", "4"]
    assert _run([library_csv, "-o", one, *common, "--jobs", "1"], bundle_dir) == 0
    assert _run([library_csv, "-o", cluster, *common, "--dask", "--dask-workers", "2"],
                bundle_dir) == 0  # fmt: skip
    pd.testing.assert_frame_equal(pd.read_parquet(one), pd.read_parquet(cluster))


@pytest.mark.slow  # a process pool
def test_workers_never_rerun_the_host_script(tmp_path, library_csv, bundle_dir, monkeypatch):
    """Called from a Streamlit app or a test runner, the spawned workers must not run the
    host's main script (they did: the dashboard's app.py ran in every worker and failed)."""
    import sys
    import types

    marker = tmp_path / "ran"
    script = tmp_path / "host.py"
    script.write_text(f"open({str(marker)!r}, 'w').write('x')\nraise SystemExit(3)\n")
    host = types.ModuleType("__main__")
    host.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", host)
    out = tmp_path / "out.parquet"
    summary = screen(library_csv, out, model_dir=bundle_dir, format="top_k", k=2, chunk_size=3,
                     jobs=2, progress=False)  # fmt: skip
    assert summary.n_molecules == len(LIBRARY) and not marker.exists()
    assert sys.modules["__main__"] is host


def test_a_gzip_table_is_read_whatever_its_name(tmp_path):
    path = tmp_path / "library.csv"  # gzip inside, no .gz in the name
    with gzip.open(path, "wt") as handle:
        handle.write("smiles,name\nCCO,ethanol\nc1ccccc1O,phenol\n")
    chunks = list(read_chunks(path, 1))
    assert [c.ids for c in chunks] == [["ethanol"], ["phenol"]]
    assert count_molecules(path) == 2


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_parts_are_joined_as_they_arrive_and_only_renamed_when_whole(tmp_path, suffix):
    """The join runs while the workers predict (#24): each part that follows the joined
    ones without a gap is added at once; the output appears only at the end."""
    import pyarrow as pa

    from sefreq.screen.writer import Parts, write_part

    output = tmp_path / f"out{suffix}"
    parts = Parts(output, {"settings": {"suffix": suffix}}, resume=False)
    tables = [pa.table({"id": [f"m{i}", f"n{i}"], "x": [float(i), i + 0.5]}) for i in range(3)]
    for index in (0, 2):
        write_part(tables[index], parts.path(index, suffix), {"index": index, "molecules": 2})
    parts.join_ready({0, 2})
    joined = tmp_path / f".out{suffix}.tmp"
    assert joined.exists() and not output.exists()
    size_after_first = joined.stat().st_size if suffix == ".csv" else None
    write_part(tables[1], parts.path(1, suffix), {"index": 1, "molecules": 2})
    parts.join_ready({0, 1, 2})
    if suffix == ".csv":  # parts 1 and 2 are in, in order
        assert joined.stat().st_size > size_after_first
    parts.join(suffix, n_chunks=3, n_molecules=6)
    read = pd.read_parquet(output) if suffix == ".parquet" else pd.read_csv(output)
    assert read["id"].tolist() == ["m0", "n0", "m1", "n1", "m2", "n2"]
    assert not joined.exists() and not parts.folder.exists()


def test_an_interrupted_run_leaves_no_half_joined_output(bundle_dir, library_csv, monkeypatch):
    from sefreq.screen import run as run_module

    real = run_module.run_processes

    def stop_after_one(chunks, parts, settings, model, finished, jobs):
        def one():
            for number, chunk in enumerate(chunks):
                if number == 1:
                    raise KeyboardInterrupt
                yield chunk

        return real(one(), parts, settings, model, finished, jobs)

    monkeypatch.setattr(run_module, "run_processes", stop_after_one)
    output = library_csv.parent / "out.parquet"
    with pytest.raises(KeyboardInterrupt):
        screen(library_csv, output, model_dir=bundle_dir, chunk_size=2, jobs=1, progress=False)
    leftovers = sorted(p.name for p in output.parent.iterdir())
    assert not output.exists() and f".{output.name}.tmp" not in leftovers
    assert f".{output.name}.parts" in leftovers  # the finished part stays for --resume
