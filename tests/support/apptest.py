"""Helpers the dashboard tests share (a module of its own: test files must not import
``conftest``, whose name the browser suite's conftest shares)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

from sefreq.ui import state

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGES = ("input", "profile", "explain", "known", "compare", "which", "report", "about")


def clear_caches() -> None:
    """Forget cached datasets, models and predictions between tests."""
    st.cache_resource.clear()
    st.cache_data.clear()


def problems(app: AppTest) -> list[str]:
    """Exceptions and errors on the page (what a test of a happy path must not see)."""
    return [e.value for e in app.exception] + [e.value for e in app.error]


def captions(app: AppTest) -> str:
    """All caption text on the page."""
    return "\n".join(c.value for c in app.caption)


def mode(app: AppTest, name: str) -> AppTest:
    """Choose an input mode on the input page (state.MODE_*)."""
    app.radio(key=state.INPUT_MODE).set_value(name).run()
    return app


def use_drug(app: AppTest, query: str) -> AppTest:
    """Look ``query`` up on the input page and make the best match current (a name that
    matches one drug exactly is taken without the button, which is then not shown)."""
    mode(app, state.MODE_LOOKUP)
    app.text_input(key="w.lookup_query").input(query).run()
    if any(button.key == "w.lookup_use" for button in app.button):
        app.button(key="w.lookup_use").click().run()
    return app


def paste(app: AppTest, text: str) -> AppTest:
    """Paste ``text`` into the SMILES box and press the button."""
    mode(app, state.MODE_PASTE)
    app.text_area(key="w.smiles_text").input(text).run()
    app.button(key="w.paste_use").click().run()
    return app
