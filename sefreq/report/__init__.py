"""CSV and PDF reports of a molecule's predicted side-effect profile, callable from Python.

Built from the tables of :mod:`sefreq.present`; no Streamlit here.
"""

from __future__ import annotations

from sefreq.report.pdf import build_pdf
from sefreq.report.tables import ReportInput, csv_bytes, report_table, safe_filename

__all__ = ["ReportInput", "build_pdf", "csv_bytes", "report_table", "safe_filename"]
