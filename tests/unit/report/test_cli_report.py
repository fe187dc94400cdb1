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
