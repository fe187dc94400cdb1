"""The PDF report (fpdf2, with a matplotlib figure): one molecule's profile on a few pages."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from sefreq.chem.io import neutralise_cell
from sefreq.constants import DISCLAIMER, FREQUENCY_BANDS, SIDER_LICENCE
from sefreq.present.profile import UNSTATED_BAND
from sefreq.present.text import one_line
from sefreq.report.tables import ReportInput, report_table

#: Rows of the "top side effects" table.
TOP_ROWS = 30
#: Longest piece of user text (name, id, SMILES) the PDF prints.
USER_TEXT_LIMIT = 300
CODE_LICENCE = "SEFreq code: MIT licence."


def _font_path() -> Path:
    """DejaVu Sans as matplotlib ships it: a Unicode font without a system font install."""
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"


def _bar_chart(table: pd.DataFrame) -> bytes:
    """PNG: chance reported (%) of the top side effects, coloured by predicted band."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    top = table.head(15).iloc[::-1]
    colours = {5: "#b2182b", 4: "#ef8a62", 3: "#fddbc7", 2: "#d1e5f0", 1: "#67a9cf"}
    figure, axes = plt.subplots(figsize=(7.0, 4.2), dpi=150)
    axes.barh(
        top["side_effect"],
        100 * top["p_reported"],
        xerr=100 * top["uncertainty"],
        color=[colours.get(int(c), "#999999") for c in top["predicted_class"]],
        edgecolor="#333333",
        linewidth=0.4,
    )
    axes.set_xlabel("chance the side effect is reported on a label (%)")
    axes.set_xlim(0, 100)
    axes.tick_params(axis="y", labelsize=7)
    handles = [plt.Rectangle((0, 0), 1, 1, color=colours[c]) for c in sorted(colours, reverse=True)]
    axes.legend(
        handles,
        [
            f"{FREQUENCY_BANDS[c].label} ({FREQUENCY_BANDS[c].range_text})"
            for c in sorted(colours, reverse=True)
        ],
        title="predicted band",
        fontsize=6,
        title_fontsize=7,
        loc="lower right",
    )
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()


def user_text(value: object, limit: int = USER_TEXT_LIMIT) -> str:
    """What a person typed, as the PDF prints it: one line, at most ``limit`` characters,
    and a leading apostrophe where it would start a spreadsheet formula once copied."""
    return neutralise_cell(one_line(value, limit))


def build_pdf(
    report: ReportInput,
    agreement: dict | None = None,
    predicted_not_reported: list[str] | None = None,
    reported_low: list[str] | None = None,
) -> bytes:
    """The PDF report as bytes.

    Holds: the structure image, what was entered and how it was standardised, the model
    version, the top side effects by predicted band with their uncertainty, a chart, a
    known-vs-predicted summary when ``report.known`` is given (``agreement`` as from
    :func:`sefreq.present.known.agreement`, plus the two call-out lists), and the disclaimer
    and licences.
    """
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    from sefreq.chem.drawing import molecule_png

    table = report_table(report)
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_font("DejaVu", "", str(_font_path()))
    pdf.add_font("DejaVu", "B", str(_font_path().with_name("DejaVuSans-Bold.ttf")))
    pdf.set_title(f"SEFreq report: {user_text(report.drug_name or report.molecule_id)}")
    pdf.set_author("SEFreq")
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def heading(text: str, size: int = 13) -> None:
        pdf.set_font("DejaVu", "B", size)
        pdf.cell(0, 8, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("DejaVu", "", 9)

    def line(text: str, height: float = 5) -> None:
        pdf.multi_cell(width, height, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    heading("SEFreq side-effect frequency report", 16)
    line(f"Created {report.created} with SEFreq model {report.model_version}.")
    pdf.ln(2)

    heading("Molecule")
    image = molecule_png(report.parent_smiles, 360)
    top_y = pdf.get_y()
    if image:
        pdf.image(io.BytesIO(image), x=pdf.w - pdf.r_margin - 55, y=top_y, w=55, h=55)
    text_width = width - 60
    for label, value in (
        ("Name / id", user_text(report.drug_name or report.molecule_id)),
        ("Entered", f"{user_text(report.entered)} ({user_text(report.source)})"),
        ("Input SMILES", user_text(report.input_smiles)),
        ("Standardised parent SMILES", user_text(report.parent_smiles)),
        ("Standardisation", "; ".join(report.standardisation) or "none (already its own parent)"),
    ):
        pdf.set_font("DejaVu", "B", 9)
        pdf.multi_cell(text_width, 5, label, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("DejaVu", "", 9)
        pdf.multi_cell(text_width, 5, str(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if len(table):
        first = table.iloc[0]
        domain = "inside" if bool(first["in_domain"]) else "OUTSIDE"
        pdf.set_font("DejaVu", "B", 9)
        pdf.multi_cell(text_width, 5, "Applicability domain", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("DejaVu", "", 9)
        pdf.multi_cell(
            text_width,
            5,
            f"{domain} the model's domain: nearest training drug {first['nearest_drug']} "
            f"(Tanimoto similarity {first['max_similarity']:.2f}).",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
    pdf.set_y(max(pdf.get_y(), top_y + 58))

    heading(f"Top {min(TOP_ROWS, len(table))} side effects")
    line(
        "Chance reported: probability the side effect appears on the drug's label (%), "
        "± one standard deviation across the ensemble. Band: predicted CIOMS frequency band "
        "(share of patients) if it is reported."
    )
    columns = ["#", "side effect", "chance reported", "predicted band", "known band"]
    widths = [8, 62, 32, 52, width - 154]
    pdf.set_font("DejaVu", "B", 8)
    pdf.set_fill_color(230, 230, 230)
    for column, column_width in zip(columns, widths, strict=True):
        pdf.cell(column_width, 6, column, border=1, fill=True)
    pdf.ln()
    pdf.set_font("DejaVu", "", 8)
    for row in table.head(TOP_ROWS).itertuples():
        known = row.known_band if isinstance(row.known_band, str) else "–"
        known = "listed, no frequency" if known == UNSTATED_BAND else known
        cells = [
            str(row.rank),
            str(row.side_effect)[:40],
            f"{100 * row.p_reported:.0f}% ± {100 * row.uncertainty:.1f}",
            f"{row.predicted_band} ({row.band_range.replace(' of patients', '')})",
            known,
        ]
        for cell, column_width in zip(cells, widths, strict=True):
            pdf.cell(column_width, 5, cell, border=1)
        pdf.ln()
    pdf.ln(3)
    if len(table):
        pdf.image(io.BytesIO(_bar_chart(table)), w=width)

    if report.known is not None and len(report.known):
        heading("Known vs predicted (SIDER labels)")
        if agreement:
            line(
                f"{agreement.get('n_reported', 0)} side effects are reported on this drug's "
                "labels; "
                f"{agreement.get('n_predicted', 0)} are predicted (chance ≥ 50%), "
                f"{agreement.get('n_both', 0)} of them reported. Ranking agreement (AUROC): "
                f"{agreement.get('auroc', float('nan')):.2f}. Predicted band equals the labelled "
                f"band for {100 * agreement.get('class_exact', float('nan')):.0f}% of reported "
                f"side effects, within one band for "
                f"{100 * agreement.get('class_within_one', float('nan')):.0f}%."
            )
        if predicted_not_reported:
            line("Predicted but not reported: " + ", ".join(predicted_not_reported))
        if reported_low:
            line("Reported but predicted low (< 20%): " + ", ".join(reported_low))
        line(
            "Known frequencies: median of the drug's SIDER label statements; placebo and "
            "post-marketing statements are not counted."
        )

    pdf.ln(2)
    heading("Disclaimer and licences", 11)
    line(DISCLAIMER)
    line(SIDER_LICENCE)
    line(CODE_LICENCE)
    return bytes(pdf.output())
