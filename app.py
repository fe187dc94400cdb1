"""SEFreq dashboard: the frame (page config, current drug in the sidebar, navigation, footer).

Pages live in ``views/`` (not ``pages/``: Streamlit treats that folder as a legacy
multi-page app, which st.navigation and AppTest trip over) and only draw what
:mod:`sefreq` computes. Run with ``streamlit run app.py`` (or ``make run``, which fetches
the data and 3Dmol.js first).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from sefreq.ui import links, resources, widgets

PAGES = (
    ("views/input.py", "Drug input", ":material/edit:"),
    ("views/profile.py", "Profile", ":material/bar_chart:"),
    ("views/explain.py", "Explain", ":material/psychology:"),
    ("views/known.py", "Known vs predicted", ":material/fact_check:"),
    ("views/compare.py", "Compare", ":material/compare_arrows:"),
    ("views/which.py", "Which drug?", ":material/search:"),
    ("views/report.py", "Report", ":material/description:"),
    ("views/about.py", "About", ":material/info:"),
)
ASSETS = Path(__file__).parent / "assets"
CSS = ASSETS / "style.css"
# A local icon: a material or emoji icon would be fetched from a CDN, and the app works offline.
ICON = ASSETS / "logo.png"


def main() -> None:
    """Draw the frame, then the chosen page."""
    st.set_page_config(
        page_title="SEFreq",
        page_icon=str(ICON),
        layout="wide",
        initial_sidebar_state="expanded",
    )
    if CSS.is_file():
        st.html(f"<style>{CSS.read_text()}</style>")
    with widgets.guard("opening the drug the link names"):
        links.drug_link(resources.dataset()[0])  # before the sidebar shows the current drug
    navigation = st.navigation(
        [
            st.Page(path, title=title, icon=icon, default=k == 0)
            for k, (path, title, icon) in enumerate(PAGES)
        ]
    )
    st.sidebar.title("SEFreq")
    st.sidebar.caption(
        "How often a drug causes each of 994 side effects, in the words of a drug label."
    )
    widgets.current_drug_panel()
    widgets.restart_notice()  # after st.navigation: it links to a page

    _, data_error = resources.dataset()
    if data_error:
        st.error(data_error)
        data = resources.data_state()
        if data.error and data.statuses:
            with st.expander("Data files", expanded=True):
                st.caption(f"Looked for in `{data.directory}`.")
                st.dataframe(data.file_table(), hide_index=True)
    with widgets.guard(f"drawing the {navigation.title} page"):
        navigation.run()
    widgets.footer()


main()
