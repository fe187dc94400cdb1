"""CSV and PDF reports, callable from Python: a molecule's SmPC 4.8 table and profile, and
any table a page exports (a comparison, a medication-list answer).

Built from the tables of :mod:`sefreq.present`; no Streamlit here.
"""

from __future__ import annotations

# Imported on first use (PEP 562), as sefreq.explain: `sefreq`'s command line imports this
# package to register `sefreq report` for every command, and pandas/fpdf2 cost 0.4 s.
_SOURCES = {
    "sefreq.report.build": ("profile_pdf", "report_input", "write_report"),
    "sefreq.report.pdf": ("build_pdf", "table_pdf"),
    "sefreq.report.tables": (
        "ReportInput",
        "csv_bytes",
        "export_table",
        "report_csv",
        "report_table",
        "safe_filename",
        "smpc_csv",
        "smpc_report_table",
        "table_csv",
    ),
}
_MODULE_OF = {name: module for module, names in _SOURCES.items() for name in names}


def __getattr__(name: str):
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'sefreq.report' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


__all__ = sorted(_MODULE_OF)
