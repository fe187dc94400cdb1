"""SIDER parsing: label-level frequencies (meddra_freq) and the label index (label_mapping).

Both files are headerless TSVs. STITCH compound ids come in two flavours: the *flat* id
(stereo-blind, ``CID1`` + 8 digits = 100000000 + PubChem CID) and the *stereo* id
(``CID0`` + 8 digits = PubChem CID). Galeano's drugs are identified by their stereo id
(multifg_Supplementary_Data_4.txt), which also keeps enantiomers such as omeprazole and
esomeprazole apart (they share one flat id).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

MEDDRA_FREQ_COLUMNS = (
    "stitch_flat",
    "stitch_stereo",
    "label_cui",
    "placebo",
    "frequency_text",
    "lower",
    "upper",
    "term_type",
    "umls_cui",
    "term",
)
LABEL_MAPPING_COLUMNS = (
    "label_name",
    "brand",
    "marker",
    "stitch_flat",
    "stitch_stereo",
    "generic_name",
    "url",
    "label_id",
)

DRUG = "drug"
PLACEBO = "placebo"
POSTMARKETING = "postmarketing"
EVIDENCE_KINDS = (DRUG, PLACEBO, POSTMARKETING)

#: Frequency words on labels -> class (CIOMS bands; docs/SCIENCE.md).
WORD_CLASSES: dict[str, int] = {
    "very common": 5,
    "very frequent": 5,
    "common": 4,
    "frequent": 4,
    "uncommon": 3,
    "infrequent": 3,
    "rare": 2,
    "very rare": 1,
}
#: Lower bounds of classes 5, 4, 3, 2 (share of patients); below the last: class 1.
CLASS_THRESHOLDS: tuple[tuple[float, int], ...] = ((0.1, 5), (0.01, 4), (0.001, 3), (0.0001, 2))


def stitch_to_cid(stitch_id: str) -> int:
    """PubChem CID of a STITCH id string (``CID1...`` flat or ``CID0...`` stereo)."""
    number = int(stitch_id[3:])
    return number - 100_000_000 if number >= 100_000_000 else number


def class_of_fraction(value: float) -> int:
    """Frequency class (1..5) of a share of patients, on the CIOMS thresholds."""
    for threshold, frequency_class in CLASS_THRESHOLDS:
        # A small tolerance: 0.1 read from text may be 0.09999999999 after arithmetic.
        if value >= threshold - 1e-12:
            return frequency_class
    return 1


def class_of_fractions(values: np.ndarray) -> np.ndarray:
    """Vectorised :func:`class_of_fraction`; NaN stays NaN. Returns float64."""
    values = np.asarray(values, dtype=float)
    out = np.full(values.shape, np.nan)
    finite = np.isfinite(values)
    out[finite] = 1.0
    # Ascending thresholds so a higher band overwrites a lower one.
    for threshold, frequency_class in reversed(CLASS_THRESHOLDS):
        out[finite & (values >= threshold - 1e-12)] = frequency_class
    return out


def class_of_row(text: str, lower: float, upper: float) -> float:
    """Class of one label row: words by :data:`WORD_CLASSES`, numbers by their midpoint.

    Returns NaN for post-marketing rows (no frequency) and text it cannot read.
    """
    word = text.strip().casefold()
    if word == POSTMARKETING:
        return math.nan
    if word in WORD_CLASSES:
        return float(WORD_CLASSES[word])
    if math.isfinite(lower) and math.isfinite(upper):
        return float(class_of_fraction((lower + upper) / 2))
    return math.nan


def read_meddra_freq(path: Path, stereo_cids: Iterable[int] | None = None) -> pd.DataFrame:
    """Read meddra_freq(.tsv.gz): PT rows only, optionally only drugs ``stereo_cids``.

    Columns: stitch_flat, stitch_stereo (CIDs), label_cui, kind (drug/placebo/
    postmarketing), frequency_text, lower, upper (fractions; NaN for words and
    post-marketing), frequency_class (float, NaN for post-marketing), umls_cui, term.
    """
    table = read_pt_rows(path, MEDDRA_FREQ_COLUMNS)
    if stereo_cids is not None:
        table = table[table["stitch_stereo"].isin(set(stereo_cids))]
    return parse_frequencies(table.drop(columns="term_type").reset_index(drop=True))


def read_pt_rows(path: Path, columns: Iterable[str]) -> pd.DataFrame:
    """The MedDRA preferred-term rows of a headerless SIDER TSV, STITCH ids as CIDs."""
    table = read_rows(path, columns)
    return table[table["term_type"] == "PT"]


def read_rows(path: Path, columns: Iterable[str]) -> pd.DataFrame:
    """Every row of a headerless SIDER TSV (LLT and PT), STITCH ids as CIDs."""
    table = pd.read_csv(
        path,
        sep="\t",
        header=None,
        names=list(columns),
        dtype=str,
        keep_default_na=False,
        quoting=3,  # QUOTE_NONE: terms may contain quote characters
    )
    return table.assign(
        stitch_flat=table["stitch_flat"].map(stitch_to_cid).astype("int64"),
        stitch_stereo=table["stitch_stereo"].map(stitch_to_cid).astype("int64"),
    )


def parse_frequencies(table: pd.DataFrame) -> pd.DataFrame:
    """Add kind, numeric lower/upper and frequency_class to raw meddra_freq rows."""
    text = table["frequency_text"].str.strip()
    word = text.str.casefold()
    is_post = word == POSTMARKETING
    is_word = word.isin(WORD_CLASSES.keys())
    is_placebo = table["placebo"].str.strip().str.casefold() == PLACEBO
    kind = np.where(is_post, POSTMARKETING, np.where(is_placebo, PLACEBO, DRUG))

    lower = pd.to_numeric(table["lower"], errors="coerce").to_numpy(dtype=float)
    upper = pd.to_numeric(table["upper"], errors="coerce").to_numpy(dtype=float)
    numeric = ~(is_post | is_word).to_numpy()
    lower = np.where(numeric, lower, np.nan)
    upper = np.where(numeric, upper, np.nan)

    frequency_class = class_of_fractions((lower + upper) / 2)
    word_class = word.map(WORD_CLASSES).to_numpy(dtype=float)
    frequency_class = np.where(is_word.to_numpy(), word_class, frequency_class)
    frequency_class = np.where(is_post.to_numpy(), np.nan, frequency_class)

    out = table.drop(columns=["placebo"]).assign(
        kind=kind,
        frequency_text=text,
        lower=lower,
        upper=upper,
        frequency_class=frequency_class,
    )
    return out


def read_label_mapping(path: Path) -> pd.DataFrame:
    """Read label_mapping(.tsv.gz) (Latin-1): one row per label.

    Columns: label_name, brand, marker, stitch_flat, stitch_stereo (positive CIDs),
    generic_name, url, label_id. Some rows carry an extra field after the stereo id
    (``False``); the last three fields are then generic name, URL and label id. Rows of
    6 or 7 fields (labels tied to no compound) have no generic name: it is left empty.
    """
    rows = []
    with _open_text(path, encoding="latin-1") as handle:
        for line_number, line in enumerate(handle, 1):
            fields = line.rstrip("\n").rstrip("\r").split("\t")
            if len(fields) >= len(LABEL_MAPPING_COLUMNS):
                rows.append(fields[:5] + fields[-3:])
            elif len(fields) >= 6:
                # Labels SIDER could not tie to a compound ("not found"): no generic name,
                # and no stereo id either with 6 fields. Kept, they match no drug.
                ids = fields[3:5] if len(fields) == 7 else [fields[3], ""]
                rows.append(fields[:3] + ids + ["", *fields[-2:]])
            else:
                raise ValueError(f"{path}:{line_number}: {len(fields)} fields, expected >= 6")
    table = pd.DataFrame(rows, columns=list(LABEL_MAPPING_COLUMNS))
    for column in ("stitch_flat", "stitch_stereo"):
        ids = pd.to_numeric(table[column], errors="coerce")
        # Negative numbers: flat -(100000000 + CID), stereo -CID.
        ids = ids.abs()
        table[column] = np.where(ids >= 100_000_000, ids - 100_000_000, ids)
        table[column] = table[column].astype("Int64")
    for column in ("label_name", "brand", "marker", "generic_name", "url", "label_id"):
        table[column] = table[column].str.strip()
    return table


def _open_text(path: Path, encoding: str):
    import gzip

    if str(path).endswith(".gz"):
        return gzip.open(path, "rt", encoding=encoding, newline="")
    return open(path, encoding=encoding, newline="")


#: How several label rows of one pair become one class (see :func:`summarise_pairs`).
MIDPOINT_RULE = "midpoint"
CLASS_RULE = "class"


def _round_half_up(values: np.ndarray) -> np.ndarray:
    return np.floor(np.asarray(values, dtype=float) + 0.5)


def summarise_pairs(
    evidence: pd.DataFrame, frequency: np.ndarray, rule: str = MIDPOINT_RULE
) -> pd.DataFrame:
    """One row per (drug_index, side_effect_index) with SIDER evidence or a class in R.

    ``evidence`` needs drug_index, side_effect_index, kind, lower, upper, frequency_class.
    Columns: drug_index, side_effect_index, n_labels (drug rows with a frequency),
    n_placebo, n_postmarketing, median_lower, median_upper, median_midpoint (numeric drug
    rows), median_class (median of the drug rows' classes), derived_class (0..5, by
    ``rule``), galeano_class (R), placebo_class (0..5, same rule on placebo rows; 0 if
    none), placebo_at_least_drug, postmarketing_only.

    ``rule``: "midpoint" takes the class of the median midpoint of the numeric rows and
    falls back to the median word class when a pair has no numbers; "class" takes the
    median of all rows' classes (halves round up).
    """
    if rule not in (MIDPOINT_RULE, CLASS_RULE):
        raise ValueError(f"unknown rule {rule!r}")
    keys = ["drug_index", "side_effect_index"]
    rows = evidence.assign(midpoint=(evidence["lower"] + evidence["upper"]) / 2)
    kind = rows["kind"].astype(str)

    drug = _summarise_kind(rows[kind == DRUG], keys, rule)
    placebo = _summarise_kind(rows[kind == PLACEBO], keys, rule)
    post_counts = rows[kind == POSTMARKETING].groupby(keys).size().rename("n_postmarketing")

    nonzero = np.argwhere(frequency > 0)
    galeano = pd.DataFrame(
        {
            "drug_index": nonzero[:, 0].astype("int64"),
            "side_effect_index": nonzero[:, 1].astype("int64"),
        }
    ).set_index(keys)
    index = (
        galeano.index.union(drug.index).union(placebo.index).union(post_counts.index).sort_values()
    )
    pairs = pd.DataFrame(index=index)
    pairs["n_labels"] = drug["n"].reindex(index).fillna(0).astype("int64")
    pairs["n_placebo"] = placebo["n"].reindex(index).fillna(0).astype("int64")
    pairs["n_postmarketing"] = post_counts.reindex(index).fillna(0).astype("int64")
    for column in ("median_lower", "median_upper", "median_midpoint", "median_class"):
        pairs[column] = drug[column].reindex(index)
    pairs["derived_class"] = drug["derived_class"].reindex(index).fillna(0).astype("uint8")
    drug_index = index.get_level_values(0).to_numpy()
    side_effect_index = index.get_level_values(1).to_numpy()
    pairs["galeano_class"] = frequency[drug_index, side_effect_index].astype("uint8")
    pairs["placebo_class"] = placebo["derived_class"].reindex(index).fillna(0).astype("uint8")
    pairs["placebo_at_least_drug"] = _placebo_at_least_drug(pairs, placebo, index)
    pairs["postmarketing_only"] = (
        (pairs["n_labels"] == 0) & (pairs["n_placebo"] == 0) & (pairs["n_postmarketing"] > 0)
    )
    return pairs.reset_index()


def _summarise_kind(rows: pd.DataFrame, keys: list[str], rule: str) -> pd.DataFrame:
    rows = rows[rows["frequency_class"].notna()]
    grouped = rows.groupby(keys)
    out = pd.DataFrame({"n": grouped.size()})
    out["median_lower"] = grouped["lower"].median()
    out["median_upper"] = grouped["upper"].median()
    out["median_midpoint"] = grouped["midpoint"].median()
    out["median_class"] = grouped["frequency_class"].median()
    by_class = _round_half_up(out["median_class"].to_numpy())
    if rule == CLASS_RULE:
        derived = by_class
    else:
        word_rows = rows[rows["midpoint"].isna()]
        word_class = word_rows.groupby(keys)["frequency_class"].median().reindex(out.index)
        by_midpoint = class_of_fractions(out["median_midpoint"].to_numpy())
        derived = np.where(
            np.isfinite(by_midpoint), by_midpoint, _round_half_up(word_class.to_numpy())
        )
    out["derived_class"] = derived
    return out


def _placebo_at_least_drug(
    pairs: pd.DataFrame, placebo: pd.DataFrame, index: pd.MultiIndex
) -> np.ndarray:
    """True where the placebo arms report the term at least as often as the drug.

    Compares the median midpoints of the numeric drug and placebo rows; a pair without
    numbers on both sides is not flagged: words ("common") are too coarse to say that a
    placebo matched the drug. On Galeano's R, falling back on classes where numbers are
    missing flags 30 more pairs that R keeps and not one more pair that R dropped.
    """
    drug_mid = pairs["median_midpoint"].to_numpy()
    placebo_mid = placebo["median_midpoint"].reindex(index).to_numpy()
    both_numeric = np.isfinite(drug_mid) & np.isfinite(placebo_mid)
    return both_numeric & (placebo_mid >= np.where(both_numeric, drug_mid, np.inf))


def match_labels(
    label_table: pd.DataFrame, stereo_cids: np.ndarray, flat_cids: np.ndarray
) -> pd.Series:
    """Drug index (float, NaN if none) of each label_mapping row.

    A label belongs to the drug with its stereo id. SIDER 4.0's label index often files a
    salt under its own stereo id with the parent's flat id; such a row goes to the drug
    with that flat id, unless several of our drugs share it (enantiomers such as
    omeprazole / esomeprazole), where the label cannot tell which is meant.
    """
    by_stereo = {int(cid): index for index, cid in enumerate(stereo_cids)}
    flat = pd.Series(flat_cids).dropna().astype("int64")
    unique_flat = flat[~flat.duplicated(keep=False)]
    by_flat = {int(cid): int(index) for index, cid in unique_flat.items()}
    stereo_match = (
        label_table["stitch_stereo"]
        .astype("float")
        .map(lambda cid: by_stereo.get(int(cid)) if cid == cid else None)
    )
    flat_match = (
        label_table["stitch_flat"]
        .astype("float")
        .map(lambda cid: by_flat.get(int(cid)) if cid == cid else None)
    )
    return stereo_match.astype(float).fillna(flat_match.astype(float))
