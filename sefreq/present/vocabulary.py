"""The one vocabulary of SEFreq's pages, CSVs, PDFs and ``sefreq which``: the words of an
EU SmPC (section 4.8) for frequencies, one colour per band, human column names and the
rounding a reader is shown.

The model's own ``band`` column (``Predictor.predict``, ``sefreq predict``) keeps the
CIOMS labels of :data:`sefreq.constants.FREQUENCY_BANDS`; everything a person reads says
"very common, common, uncommon, rare, very rare, not known".
"""

from __future__ import annotations

import pandas as pd

from sefreq.constants import FREQUENCY_BANDS, FREQUENCY_SCALE
from sefreq.data.severity import SERIOUS, severity_of

#: The SmPC word of each frequency class 1..5, most frequent first.
BAND_WORDS: dict[int, str] = {c: FREQUENCY_BANDS[c].smpc_wording for c in (5, 4, 3, 2, 1)}
#: A side effect the labels list without a frequency.
NOT_KNOWN = "not known"
#: A side effect no label of the drug lists.
NOT_REPORTED = "not reported"
#: SmPC frequency headings, most frequent first, then "not known".
SMPC_BANDS: tuple[str, ...] = (*BAND_WORDS.values(), NOT_KNOWN)
#: One colour per band, the same on the page and in the PDF (most frequent: darkest red).
BAND_COLOURS: dict[str, str] = {
    BAND_WORDS[5]: "#b2182b",
    BAND_WORDS[4]: "#ef8a62",
    BAND_WORDS[3]: "#fddbc7",
    BAND_WORDS[2]: "#92c5de",
    BAND_WORDS[1]: "#4393c3",
    NOT_KNOWN: "#bbbbbb",
}


def band_word(frequency_class, missing: str = "") -> str:
    """The SmPC word of a frequency class 1..5; ``missing`` for 0 or no class."""
    if frequency_class is None or pd.isna(frequency_class):
        return missing
    return BAND_WORDS.get(int(frequency_class), missing)


def conformal_words(mask_text: str) -> str:
    """ "3,4" -> "common | uncommon" (the classes a conformal set keeps, most frequent first)."""
    classes = [int(c) for c in str(mask_text).split(",") if c.strip().isdigit()]
    return " | ".join(BAND_WORDS[c] for c in sorted(classes, reverse=True))


#: The mark of a serious side effect on every page (sefreq.data.severity), and its legend.
SERIOUS_MARK = "⚠"
SERIOUS_LEGEND = (
    f"{SERIOUS_MARK} serious: a medically important side effect (it can kill, threaten life, "
    "need a hospital stay or leave a lasting disability), from the EMA's Designated Medical "
    "Event list or SEFreq's reviewed table; listed first within its frequency band."
)


def severity_label(tier: str) -> str:
    """A tier as a page shows it: "⚠ serious", "moderate", "minor"."""
    return f"{SERIOUS_MARK} {tier}" if tier == SERIOUS else str(tier)


def serious_marked(name: str, tier: str) -> str:
    """A side effect as a page, chart or PDF names it: "⚠ Agranulocytosis" when ``tier`` is
    serious, the name alone otherwise."""
    return f"{SERIOUS_MARK} {name}" if tier == SERIOUS else str(name)


def mark_serious(names) -> list[str]:
    """``names`` (side effects) as a page, picker or chart labels them: a serious one starts
    with the mark ("⚠ Agranulocytosis", :func:`serious_marked`), its tier read from the
    reviewed severity table (:func:`sefreq.data.severity.severity_of`)."""
    names = [str(name) for name in names]
    tiers = severity_of(names)["tier"].tolist()
    return [serious_marked(name, tier) for name, tier in zip(names, tiers, strict=True)]


#: Human names of the library's columns, for CSV headers and pages.
COLUMN_NAMES: dict[str, str] = {
    "rank": "rank",
    "drug": "drug",
    "side_effect": "side effect",
    "side_effect_index": "side effect number",
    "severity": "severity",
    "severity_reason": "why serious",
    "organ_class": "organ class",
    "secondary_organ_classes": "also under organ classes",
    "smpc_band": "frequency",
    "source": "source",
    "n_labels": "label statements",
    "p_reported_pct": "chance reported (%)",
    "uncertainty_pct": "spread (± percentage points)",
    "conformal_bands": "plausible frequencies",
    "in_domain": "in the model's domain",
    "band": "predicted frequency",
    "band_range": "share of patients",
    "frequency_class": f"predicted frequency ({FREQUENCY_SCALE})",
    "expected_frequency": f"expected frequency if reported ({FREQUENCY_SCALE})",
    "known_band": "label frequency",
    "known_median_pct": "label median (% of patients)",
    "label_band": "label frequency",
    "label_median_pct": "label median (% of patients)",
    "label_class": f"label frequency ({FREQUENCY_SCALE}; 0 = {NOT_KNOWN})",
    "n_postmarketing": "post-marketing reports",
    "postmarketing_only": "post-marketing only",
    "placebo_band": "placebo frequency",
    "placebo_median_pct": "placebo median (% of patients)",
    "max_similarity": "similarity to nearest training drug",
    "nearest_drug": "nearest training drug",
    "percentile": "percentile among approved drugs",
    "ratio_to_average": "times the average drug",
}
#: Decimals shown for a column: chances and spreads in percent to 1, shares of patients
#: to 2, similarities to 3, expected classes to 1.
DECIMALS: dict[str, int] = {
    "p_reported_pct": 1,
    "uncertainty_pct": 1,
    "known_median_pct": 2,
    "label_median_pct": 2,
    "placebo_median_pct": 2,
    "expected_frequency": 1,
    "max_similarity": 3,
    "percentile": 0,
    "ratio_to_average": 1,
}


def rounded(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with its numbers rounded (:data:`DECIMALS`) and missing text cells blank
    (never "None"), the column names kept: what a CSV writes."""
    table = table.copy()
    for column, decimals in DECIMALS.items():
        if column in table:
            table[column] = pd.to_numeric(table[column], errors="coerce").round(decimals)
    for column in table.columns:
        if not pd.api.types.is_numeric_dtype(table[column]):
            table[column] = table[column].astype(object).where(table[column].notna(), "")
    return table


def readable(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` as a page shows it: :func:`rounded`, with human column names
    (:data:`COLUMN_NAMES`)."""
    return rounded(table).rename(columns=COLUMN_NAMES)


def shown_numbers(table: pd.DataFrame, columns) -> pd.DataFrame:
    """``table`` with its number ``columns`` as a page's grid shows them: text rounded to the
    column's decimals (:data:`DECIMALS`, else 2), blank where there is no number (a grid
    writes a missing number as "None": a label that lists a side effect without a frequency
    has no median, and that is not a value called None)."""
    table = table.copy()
    for column in columns:
        if column in table:
            decimals = DECIMALS.get(column, 2)
            table[column] = [
                "" if pd.isna(value) else f"{float(value):.{decimals}f}" for value in table[column]
            ]
    return table
