"""The built wheel works like a library's: installed outside the checkout, it finds its model.

Builds the wheel, installs it with ``--no-deps`` into a fresh virtual environment in a
temporary folder, lends that environment the test environment's dependencies (a path
entry, so the checkout's editable install is *not* carried over), and predicts one
molecule from a folder that holds no checkout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow

PROBE = """
import sys
from pathlib import Path
import sefreq
from sefreq import Predictor
from sefreq.model.artifact import bundled_model_dir
root = Path(sys.argv[1])
assert root not in Path(sefreq.__file__).resolve().parents, sefreq.__file__
assert root not in bundled_model_dir().resolve().parents, bundled_model_dir()
table = Predictor.from_bundled().predict("CC(=O)Oc1ccccc1C(=O)O")
assert len(table) == 994 and table["p_association"].between(0, 1).all()
print("ok", bundled_model_dir())
"""


def _run(*command: str, cwd: Path, env: dict | None = None) -> str:
    result = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    return result.stdout


def test_wheel_installs_and_predicts_outside_the_checkout(tmp_path):
    # Built from a copy, so no build/ folder is left in (or reused from) the checkout.
    source = tmp_path / "source"
    shutil.copytree(
        ROOT,
        source,
        symlinks=True,
        ignore=shutil.ignore_patterns(".git", ".venv", "build", "test-artifacts", "__pycache__",
                                      "*.egg-info", "benchmarks", "assets"),
    )  # fmt: skip
    wheels = tmp_path / "wheels"
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(source),
         cwd=tmp_path)  # fmt: skip
    (wheel,) = wheels.glob("sefreq-*.whl")
    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", str(venv), cwd=tmp_path)
    python = venv / "bin" / "python"
    purelib = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    target = Path(_run(str(python), "-c", purelib, cwd=tmp_path).strip())
    _run(sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-compile",
         "--target", str(target), str(wheel), cwd=tmp_path)  # fmt: skip
    # Dependencies from the test environment, appended after the wheel's own files.
    (target / "test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SEFREQ_MODEL_DIR")}
    shutil.rmtree(source)  # nothing of a checkout is left to import from
    out = _run(str(python), "-c", PROBE, str(ROOT), cwd=tmp_path, env=env)
    assert out.startswith("ok ") and str(target) in out
