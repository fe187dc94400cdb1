"""Starting worker processes from a library that may be called by any host program."""

from __future__ import annotations

import contextlib
import sys
import types


@contextlib.contextmanager
def without_main_script():
    """Start worker processes without re-running the host's main script.

    A spawned worker first runs the parent's ``__main__`` file; when SEFreq is called from
    a Streamlit app, a notebook kernel or a test runner that file is not this command and
    must not run again. The workers need only importable SEFreq functions, so the main
    module is hidden while they start.
    """
    main = sys.modules.get("__main__")
    if main is None or not getattr(main, "__file__", None):
        yield
        return
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main
