"""`sefreq report` (issue #23): a report without the dashboard; mistakes are one line."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from sefreq.cli import main


def _run(argv: list[str], capsys) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = 0 if exit_.code is None else int(exit_.code)
    out, err = capsys.readouterr()
    return code, out, err


def test_help_shows_an_example(capsys) -> None:
    code, out, _ = _run(["report", "--help"], capsys)
    assert code == 0 and "sefreq report Lipitor -o atorvastatin.pdf" in out


def test_a_report_is_a_pdf_or_a_csv(capsys, tmp_path: Path) -> None:
    code, _, err = _run(["report", "ibuprofen", "-o", str(tmp_path / "r.txt")], capsys)
    assert code == 1 and err.startswith("error: r.txt: write the report to a .pdf or a .csv")


@pytest.mark.slow
@pytest.mark.realdata
def test_the_lipitor_report_as_csv_and_pdf(real_data_dir: Path, capsys, tmp_path) -> None:
    csv = tmp_path / "atorvastatin.csv"
    code, out, _ = _run(["report", "Lipitor", "-o", str(csv)], capsys)
    assert code == 0 and "atorvastatin (read as name)" in out and "not medical advice" in out
    smpc = pd.read_csv(csv, keep_default_na=False)
    assert (smpc["molecule_id"] == "atorvastatin").all() and smpc["side_effect"].is_unique
    assert set(smpc["smpc_band"]) <= {
        "very common", "common", "uncommon", "rare", "very rare", "not known"
    }  # fmt: skip
    pdf = tmp_path / "atorvastatin.pdf"
    assert _run(["report", "Lipitor", "-o", str(pdf), "--threshold", "90"], capsys)[0] == 0
    assert pdf.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True)
        assert "atorvastatin" in text.stdout and "primary organ class" in text.stdout


def test_the_cli_report_places_each_term_among_the_approved_drugs(
    tiny_world, capsys, tmp_path: Path, monkeypatch
) -> None:
    """Issue #23: `sefreq report`'s CSV had blank percentile and ratio columns (the command
    passed no catalogue reference) and its PDF had no 'stands out' section. It builds the
    reference as the dashboard does, once, cached and verified in the cache folder."""
    import sefreq.data

    monkeypatch.setattr(sefreq.data, "load_dataset", lambda *a, **k: tiny_world.dataset)
    monkeypatch.setenv("SEFREQ_CACHE_DIR", str(tmp_path / "cache"))
    model = ["--model", str(tiny_world.bundle_dir)]
    csv = tmp_path / "ibuprofen.csv"
    code, _, err = _run(["report", "ibuprofen", "-o", str(csv), "--threshold", "0", *model], capsys)
    assert code == 0, err
    assert "among the approved drugs" in err  # the first run says why it takes a while
    smpc = pd.read_csv(csv, keep_default_na=False)
    assert smpc["percentile"].between(0, 100).all()
    assert (smpc["ratio_to_average"] > 0).all()
    cached = list((tmp_path / "cache").glob("catalogue_reference_*.npz"))
    assert len(cached) == 1 and Path(f"{cached[0]}.sha256").is_file()
    pdf = tmp_path / "ibuprofen.pdf"
    code, _, err = _run(["report", "ibuprofen", "-o", str(pdf), "--threshold", "0", *model], capsys)
    assert code == 0 and "among the approved drugs" not in err  # read from the cache
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True)
        assert "What stands out among the approved drugs" in text.stdout
        assert "percentile among" in text.stdout and "times the average" in text.stdout
