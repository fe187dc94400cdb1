"""What the test suites share: the tiny world, the tiny model, the bad-input corpus, and
the helpers of the AppTest and browser suites. Imported as ``tests.support``; the test
folders are packages, so no test edits the import path."""

from __future__ import annotations

from pathlib import Path

#: The repository's root folder.
ROOT = Path(__file__).resolve().parents[2]
#: Files checked into the repository for the tests (``tests/data/``).
TEST_DATA = ROOT / "tests" / "data"
