"""`sefreq ...`: every command answers --help with an example; mistakes exit non-zero."""

from __future__ import annotations

import argparse

import pytest

from sefreq import __version__
from sefreq.cli import build_parser, main


def _commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command path under ``parser``, the root (``()``) included."""
    paths = [path]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, subparser in action.choices.items():
                paths.extend(_commands(subparser, (*path, name)))
    return paths


COMMANDS = _commands(build_parser())


def _exit_code(argv: list[str]) -> int:
    """What `sefreq argv` exits with, whether main returns or argparse exits."""
    try:
        return main(argv)
    except SystemExit as exit_:
        return 0 if exit_.code is None else int(exit_.code)


def test_the_data_commands_are_registered() -> None:
    assert {("data",), ("data", "fetch"), ("data", "info")} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda path: " ".join(("sefreq", *path)))
def test_every_command_has_help_with_an_example(
    command: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    assert _exit_code([*command, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: sefreq")
    assert "Example" in out
    examples = out.split("Example", 1)[1]
    assert "sefreq " + " ".join(command) in examples  # the example uses this very command


def test_top_level_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert _exit_code(["--help"]) == 0
    out = capsys.readouterr().out
    for path in COMMANDS:
        if len(path) == 1:
            assert path[0] in out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert _exit_code(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"sefreq {__version__}"


@pytest.mark.parametrize(
    "argv",
    [["no-such-command"], ["data", "no-such-action"], ["data", "fetch", "--no-such-option"]],
    ids=" ".join,
)
def test_unknown_commands_exit_non_zero(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert _exit_code(argv) != 0
    err = capsys.readouterr().err
    assert "invalid choice" in err or "unrecognized arguments" in err


@pytest.mark.parametrize("argv", [[], ["data"]], ids=["sefreq", "sefreq data"])
def test_a_command_without_its_action_prints_help_and_fails(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert _exit_code(argv) == 2
    assert capsys.readouterr().out.startswith("usage: sefreq")


def test_the_command_line_starts_without_torch_or_pandas():
    """`sefreq <command> --help` answers at once: registering every sub-command imports
    neither torch (the model, the mechanism task) nor pandas (the reports)."""
    import subprocess
    import sys

    code = (
        "import sys, contextlib, io\n"
        "from sefreq.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        "        main(['predict', '--help'])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print(sorted(m for m in ('torch', 'pandas') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
