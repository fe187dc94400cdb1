"""What the browser tests share (a module of its own: test files must not import ``conftest``)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: Screenshots, downloads and the server log of the browser suite (gitignored).
ARTIFACTS = ROOT / "test-artifacts" / "browser"
