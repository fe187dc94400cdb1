"""CSV and PDF reports, callable from Python: a molecule's SmPC 4.8 table and profile, and
any table a page exports (a comparison, a medication-list answer).

Built from the tables of :mod:`sefreq.present`; no Streamlit here.
"""

from __future__ import annotations

from sefreq.report.build import profile_pdf, report_input, write_report
from sefreq.report.pdf import build_pdf, table_pdf
from sefreq.report.tables import (
    ReportInput,
    csv_bytes,
    export_table,
    report_csv,
    report_table,
    safe_filename,
    smpc_csv,
    smpc_report_table,
    table_csv,
)

__all__ = [
    "ReportInput",
    "build_pdf",
    "csv_bytes",
    "export_table",
    "profile_pdf",
    "report_csv",
    "report_input",
    "report_table",
    "safe_filename",
    "smpc_csv",
    "smpc_report_table",
    "table_csv",
    "table_pdf",
    "write_report",
]
