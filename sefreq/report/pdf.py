"""PDF reports (fpdf2, with a matplotlib chart): one molecule's profile on a few pages, and
any table a page exports (a comparison, a medication-list answer).

Every table is drawn by one renderer (:class:`_Table`): cells wrap, the header is repeated
on each page, and a row taller than the space left is split between terms and continued on
the next page, so nothing is cut off or lost. Text is set in DejaVu Sans as matplotlib ships
it, so names in any European script print as typed; a character the font lacks prints as
"?" instead of vanishing.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from sefreq.chem.io import neutralise_cell
from sefreq.constants import DISCLAIMER, FREQUENCY_BANDS
from sefreq.model.artifact import ModelCard
from sefreq.present.card import licences
from sefreq.present.profile import UNSTATED_BAND, domain_summary
from sefreq.present.smpc import LABEL, PREDICTION, SMPC_BANDS
from sefreq.present.standout import most_standing_out
from sefreq.present.text import one_line
from sefreq.present.vocabulary import BAND_COLOURS as SMPC_COLOURS
from sefreq.present.vocabulary import BAND_WORDS, COLUMN_NAMES, SERIOUS_MARK, serious_marked
from sefreq.report.tables import (
    SIDER_VERSION,
    ReportInput,
    export_table,
    report_table,
    smpc_report_table,
    timestamp,
)

#: Rows of the "top side effects" table.
TOP_ROWS = 30
#: Side effects in the chart by organ class.
CHART_ROWS = 20
#: Longest piece of user text (name, id, SMILES) the PDF prints.
USER_TEXT_LIMIT = 300
#: Longest cell of an exported table the PDF prints (a cell must fit on one page).
CELL_TEXT_LIMIT = 300
#: What follows a predicted term in the SmPC table.
PREDICTION_MARK = "*"
#: What the mark before a serious term means, and where the tier comes from (DejaVu Sans,
#: the PDF's font, draws the mark the pages use).
SERIOUS_PDF_LEGEND = (
    f"{SERIOUS_MARK} before a term: serious or medically important (it can kill, threaten "
    "life, need a hospital stay or leave a lasting disability), listed first within its "
    "band. Source: SEFreq's reviewed severity table (sefreq/data/severity.csv; the CSV's "
    "severity column), after the EMA's Designated Medical Event list (EMA/326038/2020) "
    "and, for the other terms, ICH E2A's seriousness criteria."
)
#: What the cells of the comparison table (:func:`sefreq.present.compare.band_comparison`)
#: mean, printed above it.
COMPARISON_NOTES = (
    "One row per organ class and side effect that the labels report or the model predicts "
    "for at least one drug; one column per drug.",
    "\u201ccommon (label)\u201d: the band of the median of the drug's SIDER 4.1 label "
    "statements (\u201cnot known\u201d: listed without a frequency). \u201c~uncommon "
    "(predicted, 62%)\u201d: a SEFreq prediction where the labels are silent, with its chance "
    "of being reported. \u201cnot reported\u201d: the labels are silent and the prediction is "
    "below the threshold.",
    "difference: how many bands apart the drugs are (very common = 5 ... very rare = 1, "
    "nothing = 0).",
)
FONT = "DejaVu"
#: Colours of the predicted bands in the chart, most frequent first.
BAND_COLOURS = {c: SMPC_COLOURS[word] for c, word in BAND_WORDS.items()}


def _font_path() -> Path:
    """DejaVu Sans as matplotlib ships it: a Unicode font without a system font install."""
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"


def user_text(value: object, limit: int = USER_TEXT_LIMIT) -> str:
    """What a person typed, as the PDF prints it: one line, at most ``limit`` characters,
    and a leading apostrophe where it would start a spreadsheet formula once copied."""
    return neutralise_cell(one_line(value, limit))


# --------------------------------------------------------------------------- the document


def _document(title: str):
    """An A4 fpdf2 document with the fonts set, a title and page numbers in the footer."""
    from fpdf import FPDF

    class Document(FPDF):
        def footer(self) -> None:
            self.set_y(-11)
            self.set_font(FONT, "", 7)
            self.set_text_color(110, 110, 110)
            self.cell(0, 5, f"SEFreq · page {self.page_no()} of {{nb}}", align="C")
            self.set_text_color(0, 0, 0)

    pdf = Document(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_font(FONT, "", str(_font_path()))
    pdf.add_font(FONT, "B", str(_font_path().with_name("DejaVuSans-Bold.ttf")))
    pdf.set_title(title)
    pdf.set_author("SEFreq")
    pdf.add_page()
    return pdf


def _printable(pdf, text: object) -> str:
    """``text`` with the characters the current font has no glyph for replaced by "?"."""
    text = str(text)
    cmap = getattr(pdf.current_font, "cmap", None)
    if not cmap:
        return text
    return "".join(c if ord(c) in cmap or c in "\n\t" else "?" for c in text)


def _width(pdf) -> float:
    return pdf.w - pdf.l_margin - pdf.r_margin


def _heading(pdf, text: str, size: int = 13) -> None:
    from fpdf.enums import XPos, YPos

    pdf.set_font(FONT, "B", size)
    pdf.multi_cell(
        _width(pdf), 7, _printable(pdf, text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    pdf.set_font(FONT, "", 9)


def _line(pdf, text: str, height: float = 5, width: float | None = None) -> None:
    from fpdf.enums import XPos, YPos

    pdf.multi_cell(
        width or _width(pdf),
        height,
        _printable(pdf, text),
        align="L",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )


def _labelled(pdf, label: str, text: str, width: float) -> None:
    pdf.set_font(FONT, "B", 9)
    _line(pdf, label, width=width)
    pdf.set_font(FONT, "", 9)
    _line(pdf, text, width=width)


def _licences(pdf, card: ModelCard) -> None:
    _heading(pdf, "Disclaimer and licences", 11)
    _line(pdf, DISCLAIMER)
    for text in licences(card):
        _line(pdf, text)


# --------------------------------------------------------------------------- tables


class _Table:
    """Draws rows of cells; a cell is a list of pieces (terms) printed joined by
    ``separator``. Header repeated on each page; a row that does not fit in the space left
    is split between pieces and continued on the next page, its first cell marked
    "(continued)"."""

    def __init__(
        self,
        pdf,
        header: Sequence[str],
        widths: Sequence[float],
        font_size: float = 7,
        separator: str = ", ",
    ) -> None:
        self.pdf, self.header, self.widths = pdf, list(header), list(widths)
        self.size, self.separator = font_size, separator
        self.line_height = font_size * 0.45  # mm per line: a little over the font's height
        self.padding = 1.0

    def _lines(self, text: str, width: float) -> int:
        if not text:
            return 1
        lines = self.pdf.multi_cell(
            width - 2 * self.padding,
            self.line_height,
            text,
            align="L",
            dry_run=True,
            output="LINES",
        )
        return max(len(lines), 1)

    def _height(self, texts: Sequence[str], header: bool = False) -> float:
        pdf = self.pdf
        counts = []
        for k, (text, width) in enumerate(zip(texts, self.widths, strict=True)):
            pdf.set_font(FONT, "B" if (header or k == 0) else "", self.size)
            counts.append(self._lines(text, width))
        return max(counts) * self.line_height + 2 * self.padding

    def _space_left(self) -> float:
        return self.pdf.page_break_trigger - self.pdf.get_y()

    def _draw(self, texts: Sequence[str], header: bool = False) -> None:
        """One row of cells at the current position: the header bold on grey, else the
        first cell bold."""
        pdf = self.pdf
        height = self._height(texts, header)
        x, y = pdf.l_margin, pdf.get_y()
        pdf.set_fill_color(230, 230, 230)
        for k, (text, width) in enumerate(zip(texts, self.widths, strict=True)):
            pdf.set_font(FONT, "B" if (header or k == 0) else "", self.size)
            pdf.rect(x, y, width, height, style="DF" if header else "D")
            pdf.set_xy(x + self.padding, y + self.padding)
            if text:
                pdf.multi_cell(width - 2 * self.padding, self.line_height, text, align="L")
            x += width
        pdf.set_xy(pdf.l_margin, y + height)

    def header_row(self) -> None:
        self._draw([_printable(self.pdf, h) for h in self.header], header=True)

    def _new_page(self) -> None:
        self.pdf.add_page()
        self.header_row()

    def _fit(self, pieces: list[str], width: float, room: float) -> int:
        """How many leading pieces of a cell fit in ``room`` mm (binary search)."""
        self.pdf.set_font(FONT, "", self.size)
        low, high = 0, len(pieces)
        while low < high:
            middle = (low + high + 1) // 2
            text = self.separator.join(pieces[:middle])
            if self._lines(text, width) * self.line_height + 2 * self.padding <= room:
                low = middle
            else:
                high = middle - 1
        return low

    def row(self, cells: Sequence[Sequence[str]]) -> None:
        """Draw one row: ``cells[0]`` a single label, the others lists of pieces."""
        pdf = self.pdf
        label = _printable(pdf, self.separator.join(cells[0]))
        pending = [[_printable(pdf, p) for p in cell] for cell in cells[1:]]
        first = True
        # Drawing is placed by hand: the automatic break would cut a row in the middle. The
        # bottom margin is passed again: without it fpdf2 moves the trigger to the page edge.
        margin = pdf.b_margin
        pdf.set_auto_page_break(auto=False, margin=margin)
        try:
            while first or any(pending):
                shown = label if first else f"{label} (continued)"
                texts = [shown, *(self.separator.join(p) for p in pending)]
                if self._height(texts) <= self._space_left():
                    self._draw(texts)
                    return
                room = self._space_left()
                counts = [
                    self._fit(p, w, room) for p, w in zip(pending, self.widths[1:], strict=True)
                ]
                label_fits = self._height([shown, *[""] * len(pending)]) <= room
                if not label_fits or not any(counts):
                    if self._at_top():
                        counts = [min(1, len(p)) for p in pending]  # a piece taller than a page
                    else:
                        self._new_page()
                        continue
                now = [p[:n] for p, n in zip(pending, counts, strict=True)]
                self._draw([shown, *(self.separator.join(p) for p in now)])
                pending = [p[n:] for p, n in zip(pending, counts, strict=True)]
                first = False
                if any(pending):
                    self._new_page()
        finally:
            pdf.set_auto_page_break(auto=True, margin=margin)

    def _at_top(self) -> bool:
        # Just below the repeated header on a fresh page: nothing more can be gained.
        return self.pdf.get_y() <= self.pdf.t_margin + self._height(self.header, True) + 0.5

    def draw(self, rows: Sequence[Sequence[Sequence[str]]]) -> None:
        """The header, then every row."""
        pdf = self.pdf
        if self._space_left() < self._height(self.header, True) + 3 * self.line_height:
            pdf.add_page()
        self.header_row()
        for cells in rows:
            self.row(cells)
        pdf.ln(2)


def _column_widths(frame: pd.DataFrame, total: float) -> list[float]:
    """Widths in mm sharing ``total`` by the typical length of each column's text."""
    weights = []
    for column in frame.columns:
        lengths = frame[column].astype(str).str.len()
        typical = float(lengths.quantile(0.9)) if len(lengths) else 0.0
        weights.append(min(max(typical, len(str(column)), 4.0), 40.0))
    scale = total / sum(weights)
    return [w * scale for w in weights]


def _cell_text(value: object, float_format: str) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return float_format.format(value)
    return user_text(value, CELL_TEXT_LIMIT)


def _frame_table(pdf, frame: pd.DataFrame, float_format: str = "{:.1f}", size: float = 7) -> None:
    texts = pd.DataFrame(
        {c: [_cell_text(v, float_format) for v in frame[c]] for c in frame.columns}
    )
    header = [user_text(c, 60) for c in frame.columns]
    widths = _column_widths(texts.set_axis(header, axis=1), _width(pdf))
    table = _Table(pdf, header, widths, font_size=size)
    table.draw([[[v] for v in row] for row in texts.itertuples(index=False)])


# --------------------------------------------------------------------------- the profile


def smpc_bands(table: pd.DataFrame) -> list[str]:
    """The SmPC bands that hold a term of ``table``, in SmPC order: the PDF's columns (a
    drug whose labels state no frequency gets "not known" alone, not five empty columns)."""
    return [band for band in SMPC_BANDS if band in set(table["smpc_band"])]


def smpc_cells(table: pd.DataFrame, mark: str = PREDICTION_MARK) -> list[list[list[str]]]:
    """:func:`sefreq.present.smpc.smpc_grid` as the renderer takes it: one row per organ
    class in the table's order, [organ class], then a list of terms per band of
    :func:`smpc_bands`, predictions ending with ``mark``, serious terms starting with
    :data:`~sefreq.present.vocabulary.SERIOUS_MARK`."""
    terms = [
        serious_marked(f"{name}{mark}" if source == PREDICTION else str(name), tier)
        for name, source, tier in zip(
            table["side_effect"], table["source"], table["severity"], strict=True
        )
    ]
    cells = table.assign(term=terms).groupby(["organ_class", "smpc_band"], sort=False)["term"]
    lists = cells.agg(list)
    rows = []
    for organ in dict.fromkeys(table["organ_class"]):
        rows.append([[str(organ)], *(lists.get((organ, band), []) for band in smpc_bands(table))])
    return rows


def _smpc_section(pdf, smpc: pd.DataFrame, report: ReportInput) -> None:
    labels = smpc[smpc["source"] == LABEL]
    _heading(pdf, "Undesirable effects by organ class and frequency (SmPC 4.8 layout)")
    has_labels = report.drug_index is not None and report.dataset is not None
    if has_labels:
        legend = (
            f"Plain terms: reported on the drug's {SIDER_VERSION} labels, in the band of the "
            "median of their label statements (\u201cnot known\u201d: listed without a "
            f"frequency). {PREDICTION_MARK} SEFreq prediction for a term the labels do not "
            f"report, shown when its chance of being reported is at least "
            f"{report.threshold_pct:g}%, in its predicted band."
        )
    else:
        legend = (
            "No label data for this molecule: every term is a SEFreq prediction "
            f"({PREDICTION_MARK}), shown when its chance of being reported is at least "
            f"{report.threshold_pct:g}%, in its predicted band."
        )
    _line(pdf, legend)
    _line(pdf, SERIOUS_PDF_LEGEND)
    if report.serious_only:
        _line(pdf, "Serious terms only: this report leaves out the moderate and minor ones.")
    _line(
        pdf,
        "Each term is listed once, under its primary organ class (the CSV names the others). "
        "Bands: "
        + "; ".join(
            f"{FREQUENCY_BANDS[c].smpc_wording} {FREQUENCY_BANDS[c].range_text}"
            for c in (5, 4, 3, 2, 1)
        )
        + " of patients.",
    )
    pdf.ln(1)
    if smpc.empty:
        _line(
            pdf,
            f"No {'serious ' if report.serious_only else ''}side effect is on the labels or "
            "predicted at this chance.",
        )
        return
    width = _width(pdf)
    organ_width = 34.0
    bands = smpc_bands(smpc)
    table = _Table(
        pdf,
        ["System organ class", *bands],
        [organ_width, *[(width - organ_width) / len(bands)] * len(bands)],
        font_size=6.5,
    )
    table.draw(smpc_cells(smpc))
    predicted = smpc[smpc["source"] == PREDICTION]
    _line(
        pdf,
        f"{labels['side_effect_index'].nunique()} terms from the labels, "
        f"{predicted['side_effect_index'].nunique()} predicted ({PREDICTION_MARK}).",
    )
    _standout_section(pdf, smpc)


def standout_rows(smpc: pd.DataFrame) -> list[list[list[str]]]:
    """The SmPC table's terms that stand out among the approved drugs
    (:func:`sefreq.present.standout.most_standing_out`) as the renderer takes them: term
    (predictions marked), chance, percentile, times the average drug."""
    rows = []
    for row in most_standing_out(smpc).itertuples(index=False):
        mark = f" {PREDICTION_MARK}" if row.source == PREDICTION else ""
        ratio = "" if pd.isna(row.ratio_to_average) else f"{row.ratio_to_average:.1f}\u00d7"
        rows.append(
            [
                [user_text(row.side_effect, CELL_TEXT_LIMIT) + mark],
                [f"{row.p_reported_pct:.0f}%"],
                [f"{row.percentile:.0f}"],
                [ratio],
            ]
        )
    return rows


def _standout_section(pdf, smpc: pd.DataFrame) -> None:
    """What stands out: the terms whose chance is highest compared with the approved drugs
    of the catalogue (nothing without the reference)."""
    rows = standout_rows(smpc)
    if not rows:
        return
    pdf.ln(2)
    _heading(pdf, "What stands out among the approved drugs", size=11)
    _line(
        pdf,
        "The terms of the table above whose chance is highest compared with the model's "
        "chances for the approved drugs of the catalogue: percentile = the share of those "
        "drugs (%) with a lower chance; a chance that is high for every drug does not stand "
        "out.",
    )
    width = _width(pdf)
    table = _Table(
        pdf,
        [
            COLUMN_NAMES["side_effect"],
            COLUMN_NAMES["p_reported_pct"],
            COLUMN_NAMES["percentile"],
            COLUMN_NAMES["ratio_to_average"],
        ],
        [width * 0.46, width * 0.16, width * 0.2, width * 0.18],
        font_size=7,
    )
    table.draw(rows)


def organ_chart(table: pd.DataFrame, rows: int = CHART_ROWS) -> bytes:
    """PNG: the ``rows`` side effects most likely reported, grouped under their primary organ
    class (classes with the likeliest first), bars coloured by predicted band, ± one sd
    across the ensemble, the labelled band written beside a term the labels report.

    ``table``: :func:`sefreq.report.tables.report_table`.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    top = table.head(rows).assign(organ=lambda t: t["organ_class"])
    order = top.groupby("organ", sort=False)["p_reported"].max().sort_values(ascending=False)
    positions, names, heads = [], [], []
    y = 0
    figure, axes = plt.subplots(figsize=(7.0, 0.16 * (len(top) + len(order)) + 0.9), dpi=150)
    for organ in order.index:
        heads.append((y, organ))
        y += 1
        for row in top[top["organ"] == organ].itertuples():
            positions.append((y, row))
            names.append(str(row.side_effect)[:45])
            y += 1
    ys = [p for p, _ in positions]
    values = [100 * r.p_reported for _, r in positions]
    axes.barh(
        ys,
        values,
        xerr=[100 * r.uncertainty for _, r in positions],
        color=[BAND_COLOURS.get(int(r.predicted_class), "#999999") for _, r in positions],
        edgecolor="#333333",
        linewidth=0.4,
        error_kw={"elinewidth": 0.6, "capsize": 1.5},
    )
    for (position, row), value in zip(positions, values, strict=True):
        band = row.known_band if isinstance(row.known_band, str) else ""
        if band and band != "not reported":
            text = "label: not known" if band == UNSTATED_BAND else f"label: {band}"
            axes.text(min(value, 100) + 2, position, text, va="center", fontsize=5.5)
    for position, organ in heads:
        axes.text(-1, position, str(organ)[:60], va="center", ha="right", fontsize=6.5,
                  fontweight="bold")  # fmt: skip
    axes.set_yticks(ys, names, fontsize=6)
    axes.set_ylim(y - 0.5, -0.5)
    axes.set_xlim(0, 115)
    axes.set_xticks(range(0, 101, 20))
    axes.set_xlabel("chance the side effect is reported on a label (%)", fontsize=7)
    axes.tick_params(axis="x", labelsize=6)
    axes.spines[["top", "right"]].set_visible(False)
    handles = [plt.Rectangle((0, 0), 1, 1, color=BAND_COLOURS[c]) for c in BAND_COLOURS]
    axes.legend(
        handles,
        [f"{BAND_WORDS[c]} ({FREQUENCY_BANDS[c].range_text})" for c in BAND_COLOURS],
        title="predicted band",
        fontsize=5.5,
        title_fontsize=6,
        loc="lower right",
    )
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()


def _mechanism_section(pdf, mechanism, width: float) -> None:
    """What the molecule acts on and which of its proteins carry its top side effects."""
    _heading(pdf, "Mechanism")
    proteins = mechanism.proteins
    names = [
        user_text(p or u) for p, u in zip(proteins["protein"], proteins["uniprot_id"], strict=True)
    ]
    shown = ", ".join(names[:12]) + (f" and {len(names) - 12} more" if len(names) > 12 else "")
    _line(pdf, f"The model read {mechanism.source}: {shown or 'none'}.")
    strongest = mechanism.strongest(top=3)
    if strongest.empty:
        _line(pdf, "None of these proteins is listed with the top side effects more often "
                   "than by chance (Fisher's test, p < 0.05).")  # fmt: skip
        return
    rows = [
        [
            [user_text(r.side_effect)],
            [user_text(r.protein or r.uniprot_id)],
            [str(int(r.n_with))],
            [f"{100 * r.share_with:.0f}% vs {100 * r.share_without:.0f}%"],
            [f"{r.p_value:.1e}"],
        ]
        for r in strongest.itertuples()
    ]
    _Table(
        pdf,
        ["side effect", "protein", "drugs on it", "listing it: these vs others", "p"],
        [40, 62, 22, 46, width - 170],
        font_size=8,
    ).draw(rows)
    _line(pdf, "From the labels of the SIDER drugs acting on each protein: association in the "
               "labels, not proof of cause.")  # fmt: skip


def _domain_statement(report: ReportInput) -> str:
    domain = domain_summary(report.prediction)
    if not domain["nearest_drug"]:
        return "Not assessed: the molecule has no prediction."
    card = report.card
    rule = f", threshold {card.ad_threshold:.2f}" if card.n_members else ""
    similarity = (
        f"nearest training drug {domain['nearest_drug']} "
        f"(Tanimoto similarity {domain['max_similarity']:.2f}{rule})."
    )
    mechanism = f" {domain['mechanism']}" if domain["mechanism"] else ""
    if domain["in_domain"]:
        return f"Inside the model's applicability domain: {similarity}{mechanism}"
    return (
        f"OUTSIDE the model's applicability domain: {similarity} Predictions for molecules "
        "unlike any training drug lie close to side-effect base rates; read them with "
        f"caution.{mechanism}"
    )


def _severity_source() -> str:
    """Where the report's severity tiers come from, with the table's counts."""
    from sefreq.data.severity import DME_SOURCE, SERIOUS, severity_table

    table = severity_table()
    serious = table["tier"] == SERIOUS
    listed = int((serious & (table["source"] == DME_SOURCE)).sum())
    return (
        f"Severity ({SERIOUS_MARK}): SEFreq's reviewed table of the {len(table)} side effects, "
        f"{int(serious.sum())} serious: {listed} on the {DME_SOURCE}, the others by ICH "
        "E2A's seriousness criteria, each with a one-line reason (sefreq/data/severity.csv)."
    )


def _evidence(pdf, report: ReportInput, smpc: pd.DataFrame) -> None:
    _heading(pdf, "Evidence sources", 11)
    card = report.card
    if report.known is not None and len(report.known):
        known = report.known
        stated = int((known["label_class"] > 0).sum())
        listed = int(known["on_label"].sum())
        _line(
            pdf,
            f"Drug labels: {SIDER_VERSION} (Kuhn et al.), {max(listed, stated)} side effects "
            f"reported for this drug, {stated} with a frequency (the median of the label "
            "statements; placebo and post-marketing statements not counted).",
        )
    else:
        _line(pdf, f"Drug labels: none ({SIDER_VERSION} holds no labels for this molecule).")
    members = card.n_members
    trained = card.n_training_drugs
    details = ", ".join(
        part
        for part in (
            f"{members}-member ensemble" if members else "",
            f"trained on {trained} drugs from {SIDER_VERSION}" if trained else "",
            f"SEFreq {card.sefreq_version}" if card.sefreq_version else "",
            f"weights sha256 {card.weights_sha256[:12]}…" if card.weights_sha256 else "",
        )
        if part
    )
    _line(
        pdf,
        f"Predictions: SEFreq model {report.model_version}"
        + (f" ({details})" if details else "")
        + ". Chance: calibrated probability that the side effect is reported on a label; "
        "band: the predicted frequency if reported; uncertainty: spread across ensemble "
        "members; conformal bands: the set of bands kept at the 90% target.",
    )
    _line(pdf, _severity_source())
    _line(pdf, f"Report generated {report.created}.")


def build_pdf(
    report: ReportInput,
    agreement: dict | None = None,
    predicted_not_reported: list[str] | None = None,
    reported_low: list[str] | None = None,
) -> bytes:
    """The profile PDF as bytes.

    Holds: the structure image, what was entered and how it was standardised, the model
    version and the applicability-domain statement; the SmPC 4.8 table
    (:func:`sefreq.report.tables.smpc_report_table`: organ class rows x frequency band
    columns, label terms plain, predictions marked with :data:`PREDICTION_MARK`); a chart
    of the top side effects by organ class; the top side effects with their uncertainty; a
    known-vs-predicted summary when ``report.known`` is given (``agreement`` as from
    :func:`sefreq.present.known.agreement`, plus the two call-out lists); the evidence
    sources (label data, model card); the disclaimer and licences.
    """
    from sefreq.chem.drawing import molecule_png

    table = report_table(report)
    smpc = smpc_report_table(report)
    pdf = _document(f"SEFreq report: {user_text(report.drug_name or report.molecule_id)}")
    width = _width(pdf)

    _heading(pdf, "SEFreq side-effect frequency report", 16)
    _line(pdf, f"Created {report.created} with SEFreq model {report.model_version}.")
    pdf.ln(2)

    _heading(pdf, "Molecule")
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
        ("Applicability domain", _domain_statement(report)),
    ):
        _labelled(pdf, label, str(value), text_width)
    pdf.set_y(max(pdf.get_y(), top_y + 58))

    _smpc_section(pdf, smpc, report)

    if len(table):
        chart = organ_chart(table)
        from PIL import Image

        with Image.open(io.BytesIO(chart)) as picture:
            height = width * picture.height / picture.width
        if pdf.get_y() + height + 20 > pdf.page_break_trigger:
            pdf.add_page()  # the heading stays with its chart
        _heading(pdf, "Top side effects by organ class")
        _line(
            pdf,
            f"The {min(CHART_ROWS, len(table))} side effects most likely reported, under the "
            "first organ class SIDER maps them to; bars: predicted band, ± one standard "
            "deviation across the ensemble.",
        )
        pdf.image(io.BytesIO(chart), w=width, h=height)
        pdf.ln(2)

        _heading(pdf, f"Top {min(TOP_ROWS, len(table))} side effects")
        _line(
            pdf,
            "Chance reported: probability the side effect appears on the drug's label (%), "
            "± one standard deviation across the ensemble. Band: predicted frequency "
            f"(share of patients) if it is reported. {SERIOUS_MARK}: a serious side effect.",
        )
        top = table.head(TOP_ROWS)
        rows = []
        for row in top.itertuples():
            known = row.known_band if isinstance(row.known_band, str) else "–"
            rows.append(
                [
                    [str(row.rank)],
                    [serious_marked(str(row.side_effect), row.severity)],
                    [f"{100 * row.p_reported:.0f}% ± {100 * row.uncertainty:.1f}"],
                    [f"{row.predicted_band} ({row.band_range.replace(' of patients', '')})"],
                    [known],
                ]
            )
        _Table(
            pdf,
            ["#", "side effect", "chance reported", "predicted band", "known band"],
            [8, 62, 32, 52, width - 154],
            font_size=8,
        ).draw(rows)

    if report.mechanism is not None:
        _mechanism_section(pdf, report.mechanism, width)

    if report.known is not None and len(report.known):
        _heading(pdf, "Known vs predicted (SIDER labels)")
        if agreement:
            _line(
                pdf,
                f"{agreement.get('n_reported', 0)} side effects are reported on this drug's "
                "labels; "
                f"{agreement.get('n_predicted', 0)} are predicted (chance ≥ 50%), "
                f"{agreement.get('n_both', 0)} of them reported. Ranking agreement (AUROC): "
                f"{agreement.get('auroc', float('nan')):.2f}. Predicted band equals the labelled "
                f"band for {100 * agreement.get('class_exact', float('nan')):.0f}% of reported "
                f"side effects, within one band for "
                f"{100 * agreement.get('class_within_one', float('nan')):.0f}%.",
            )
        if predicted_not_reported:
            _line(pdf, "Predicted but not reported: " + ", ".join(predicted_not_reported))
        if reported_low:
            _line(pdf, "Reported but predicted low (< 20%): " + ", ".join(reported_low))
        _line(
            pdf,
            "Known frequencies: median of the drug's SIDER label statements; placebo and "
            "post-marketing statements are not counted.",
        )

    pdf.ln(2)
    _evidence(pdf, report, smpc)
    pdf.ln(2)
    _licences(pdf, report.card)
    return bytes(pdf.output())


# --------------------------------------------------------------------------- any table


def table_pdf(
    frame: pd.DataFrame,
    title: str,
    notes: Sequence[str] = (),
    card: ModelCard | None = None,
    created: str | None = None,
    float_format: str = "{:.1f}",
) -> bytes:
    """Any table a page exports (a comparison, a medication-list answer) as a PDF: the
    ``title``, when and with which model it was made, the ``notes`` (what the columns mean,
    what was asked), the table (its index as the first column when it has one; header on
    every page, no row lost across pages), then the disclaimer and licences.
    ``float_format`` prints float cells."""
    card = card or ModelCard()
    created = created or timestamp()
    table = export_table(frame, card, created)
    shown = table.drop(columns=["sider_version", "model_version", "generated_at"])
    pdf = _document(f"SEFreq: {user_text(title, 120)}")
    _heading(pdf, user_text(title, 200), 15)
    _line(
        pdf,
        f"Created {created} with SEFreq model {card.version}; label data: {SIDER_VERSION}.",
    )
    for note in notes:
        _line(pdf, str(note))
    pdf.ln(2)
    if shown.empty:
        _line(pdf, "The table is empty.")
    else:
        _frame_table(pdf, shown, float_format)
    pdf.ln(2)
    _licences(pdf, card)
    return bytes(pdf.output())
