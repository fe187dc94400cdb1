"""`sefreq which`: the medication-list question from the command line; mistakes are one
line on stderr and a non-zero exit, never a traceback."""

from __future__ import annotations

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
    code, out, _ = _run(["which", "--help"], capsys)
    assert code == 0
    assert 'sefreq which --symptom tinnitus --drugs "ibuprofen, furosemide' in out
    assert "--reverse" in out and "--csv" in out


def test_no_medication_list_is_one_clear_line(capsys) -> None:
    code, _, err = _run(["which", "--symptom", "tinnitus"], capsys)
    assert code == 1
    assert err.startswith("error: give the medication list") and err.count("\n") == 1


def test_missing_data_is_one_clear_line(capsys, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SEFREQ_DATA_DIR", str(tmp_path))
    code, _, err = _run(["which", "--symptom", "tinnitus", "--drugs", "ibuprofen"], capsys)
    assert code == 2
    assert err.startswith("error: ") and "sefreq data fetch" in err
    assert "Traceback" not in err


@pytest.mark.slow
@pytest.mark.realdata
def test_unknown_symptom_exits_non_zero(real_data_dir: Path, capsys) -> None:
    code, _, err = _run(["which", "--symptom", "xyzzy", "--drugs", "ibuprofen"], capsys)
    assert code == 1
    assert err == 'error: No side effect matches "xyzzy".\n'


@pytest.mark.slow
@pytest.mark.realdata
def test_no_drug_resolved_exits_non_zero(real_data_dir: Path, capsys) -> None:
    code, out, err = _run(["which", "--symptom", "tinnitus", "--drugs", "notadrug"], capsys)
    assert code == 1
    assert "none of the drugs could be read" in err
    assert "notadrug" in out  # the row says why


@pytest.mark.slow
@pytest.mark.realdata
def test_a_medication_list_answer_and_its_csv(real_data_dir: Path, capsys, tmp_path) -> None:
    out_csv = tmp_path / "answer.csv"
    argv = ["which", "--symptom", "ringing in ears", "--drugs", "metformin, ibuprofen"]
    code, out, _ = _run([*argv, "--csv", str(out_csv)], capsys)
    assert code == 0
    assert out.startswith('"ringing in ears" -> tinnitus (lay term')
    assert out.index("ibuprofen") < out.index("metformin")
    assert "not medical advice" in out
    table = pd.read_csv(out_csv)
    assert table["drug"].tolist() == ["ibuprofen", "metformin"]
    assert table["source"].tolist() == ["label", "prediction"]
    assert (table["symptom"] == "ringing in ears").all()


@pytest.mark.slow
@pytest.mark.realdata
def test_the_reverse_question(real_data_dir: Path, capsys) -> None:
    code, out, _ = _run(["which", "--symptom", "heartburn", "--reverse", "--top", "5"], capsys)
    assert code == 0
    assert "dyspepsia" in out.splitlines()[0]
    assert len([line for line in out.splitlines() if line.strip()[:1].isdigit()]) == 5


def test_the_printed_table_has_human_column_names(
    tiny_world, capsys, tmp_path: Path, monkeypatch
) -> None:
    """Issue #23, item 6: the terminal table printed snake_case column names
    (label_band, p_reported_pct, in_domain); it prints the page's names, rounded, while
    the CSV keeps its machine columns."""
    import sefreq.data

    monkeypatch.setattr(sefreq.data, "load_dataset", lambda *a, **k: tiny_world.dataset)
    symptom = str(tiny_world.dataset.side_effects["name"].iloc[0])
    answer = tmp_path / "answer.csv"
    argv = ["which", "--symptom", symptom, "--drugs", "ibuprofen, CCO"]
    argv += ["--model", str(tiny_world.bundle_dir), "--csv", str(answer)]
    code, out, err = _run(argv, capsys)
    assert code == 0, err
    header = next(line for line in out.splitlines() if "rank" in line)
    for machine in ("label_band", "p_reported_pct", "uncertainty_pct", "in_domain", "n_labels"):
        assert machine not in header
    for human in ("label frequency", "chance reported (%)", "in the model's domain"):
        assert human in header
    assert {"label_band", "p_reported_pct", "in_domain"} <= set(pd.read_csv(answer).columns)
