"""Each molecule's budget in `sefreq predict` (#25, deliverable 5): a molecule past its time
or out of memory is one row with the reason and the run goes on; a chunk out of memory
outside any molecule ends the run with one `error:` line; a screening worker runs under a
data limit, so an allocation past it raises MemoryError there instead of growing."""

from __future__ import annotations

import pickle
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd
import pytest

from sefreq.chem import budget as budget_module
from sefreq.chem import features as features_module
from sefreq.cli import main
from sefreq.screen import workers as workers_module
from sefreq.screen.lifetime import (
    MOLECULE_MEMORY_MB,
    ChunkMemoryError,
    limit_memory,
    worker_context,
    worker_started,
)
from sefreq.screen.run import screen
from sefreq.screen.workers import without_main_script

LIMIT_S = 0.2
HEAVY = "C" * 20  # the molecule made slow or short of memory (no other has 20 heavy atoms)
LIBRARY = ["CCO", HEAVY, "c1ccccc1O", "CCN(CC)CC", "OC(=O)c1ccccc1"]


@pytest.fixture(scope="module")
def bundle_dir(tiny_ensemble, tmp_path_factory):
    return tiny_ensemble.save(tmp_path_factory.mktemp("bundle"))


@pytest.fixture
def library(tmp_path):
    path = tmp_path / "in.csv"
    pd.DataFrame({"id": [f"m{i}" for i in range(len(LIBRARY))], "smiles": LIBRARY}).to_csv(
        path, index=False
    )
    return path


def _heavy_descriptor_does(monkeypatch, action) -> None:
    real = features_module._DESCRIPTOR_FUNCS["HeavyAtomCount"]

    def descriptor(mol):
        if mol.GetNumHeavyAtoms() == 20:
            action()
        return real(mol)

    monkeypatch.setitem(features_module._DESCRIPTOR_FUNCS, "HeavyAtomCount", descriptor)


def _out_of_memory():
    raise MemoryError


@pytest.mark.parametrize(
    ("action", "reason"),
    [
        (lambda: time.sleep(LIMIT_S * 1.5), f"took longer than {LIMIT_S:g} s to featurise"),
        (_out_of_memory, "ran out of memory in its descriptors"),
    ],
    ids=["time", "memory"],
)
def test_a_molecule_past_its_budget_is_one_row_and_the_run_goes_on(
    tmp_path, library, bundle_dir, monkeypatch, action, reason
):
    monkeypatch.setattr(budget_module, "MOLECULE_TIME_LIMIT_S", LIMIT_S)
    _heavy_descriptor_does(monkeypatch, action)
    out = tmp_path / "out.parquet"
    summary = screen(library, out, model_dir=bundle_dir, format="long", jobs=1,
                     progress=False)  # fmt: skip
    table = pd.read_parquet(out)
    assert summary.n_molecules == len(LIBRARY) and summary.n_errors == 1
    assert table["input_row"].drop_duplicates().tolist() == list(range(len(LIBRARY)))
    heavy = table[table["smiles"] == HEAVY]
    assert len(heavy) == 1 and reason in heavy["error"].iloc[0]
    assert heavy["p_association"].isna().all()
    others = table[table["smiles"] != HEAVY]
    assert others["error"].isna().all() and others["p_association"].notna().all()


def test_a_chunk_out_of_memory_ends_the_run_with_one_line(
    tmp_path, library, bundle_dir, monkeypatch, capsys
):
    def short(*args, **kwargs):  # the chunk's own arrays, not any one molecule's
        raise MemoryError

    monkeypatch.setattr(workers_module, "chunk_table", short)
    code = main(["predict", str(library), "-o", str(tmp_path / "out.csv"), "--model",
                 str(bundle_dir), "--no-progress"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("error: chunk 0 (input rows 1-5) needed more than")
    assert "--chunk-size" in err and "Traceback" not in err and err.count("\n") == 1


def test_a_chunks_memory_error_crosses_from_a_worker_whole():
    error = pickle.loads(pickle.dumps(ChunkMemoryError("chunk 3 needed more")))
    assert isinstance(error, MemoryError) and str(error) == "chunk 3 needed more"


def test_the_run_s_own_process_is_never_limited():
    assert limit_memory(100) is None  # worker_started() never ran in this process


def _allocate_past_the_limit() -> dict:
    """In a screening worker: the limit of an empty chunk, then an array as large as it."""
    limit = limit_memory(0)
    if limit is None:
        return {"limit": None}
    try:
        outcome = f"allocated {np.ones(limit // 8).nbytes / 2**20:.0f} MB"  # > the limit
    except MemoryError:
        outcome = "MemoryError"
    np.ones(2**20)  # and the worker goes on
    return {"limit": limit, "outcome": outcome}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_DATA: Linux only")
def test_a_screening_worker_raises_memory_error_past_its_limit():
    pool = ProcessPoolExecutor(1, mp_context=worker_context(), initializer=worker_started)
    with without_main_script(), pool:
        result = pool.submit(_allocate_past_the_limit).result(timeout=120)
    assert result["outcome"] == "MemoryError"  # raised in the worker, which lived on
    # What the worker held (a few hundred MB: Python, numpy, this module) + the allowance.
    assert MOLECULE_MEMORY_MB * 2**20 < result["limit"] < (MOLECULE_MEMORY_MB + 2048) * 2**20


def _crash(*args, **kwargs):
    """A worker that dies in a chunk, as RDKit may when an allocation fails deep inside."""
    import os
    import signal

    os.kill(os.getpid(), signal.SIGSEGV)


def test_a_worker_that_dies_ends_the_run_with_one_line(
    tmp_path, library, bundle_dir, monkeypatch, capsys
):
    monkeypatch.setattr(workers_module, "predict_part", _crash)  # what the pool is handed
    library.write_text(library.read_text() + "".join(f"x{i},CCO\n" for i in range(6)))
    code = main(["predict", str(library), "-o", str(tmp_path / "out.csv"), "--model",
                 str(bundle_dir), "--no-progress", "--jobs", "2", "--chunk-size", "4"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("error: a worker process died while predicting")
    assert "--resume" in err and "Traceback" not in err and err.count("\n") == 1
