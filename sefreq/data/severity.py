"""How serious each of the 994 side effects is: one reviewed tier per term, shipped as
package data (``sefreq/data/severity.csv``: side_effect, tier, reason, source).

Tiers:

- **serious**: a medically important event in the sense of ICH E2A (it can kill, threaten
  life, need or prolong a hospital stay, leave a lasting disability, or need treatment to
  prevent one of these). Every serious term carries a one-line reason.
- **minor**: a mild, self-limiting, cosmetic or local symptom that rarely changes
  treatment (dry mouth, taste change, a reaction at the injection site, flushing).
- **moderate**: everything else.

Sources, in order:

1. The EMA's Designated Medical Event list (EMA/326038/2020; reproduction authorised with
   the source acknowledged): its MedDRA preferred terms that are among the 994, matched
   exactly after case-folding (20 terms; the stored copy of the list read for this table
   was complete up to "Optic ischaemic neuropathy", and pancreatitis, pulmonary
   hypertension and ventricular fibrillation are named in the EMA's announcement). These
   are serious, with ``source`` naming the list.
2. SEFreq's own review for the rest, by this rule, read term by term: serious if the term
   names organ failure or injury (liver, kidney, heart, lung, marrow), a life-threatening
   rhythm, shock or anaphylaxis, bleeding into the brain, gut or body cavities, a clot or
   embolism, infarction or ischaemia of an organ, a severe cutaneous reaction, sepsis or a
   serious infection, loss of consciousness, a seizure emergency, loss of sight or hearing,
   suicide or psychosis, a malignant neoplasm, or an airway emergency; minor for the
   symptoms listed above; moderate otherwise. Laboratory findings stay moderate (the
   disease they may point to is its own term), except a prolonged QT interval (risk of
   torsade de pointes). The EMA's Important Medical Event list (about 8,000 terms) was not
   found in a form this project can read or cite; a reviewer with it can tighten the
   serious tier against it.

The file is checked against :data:`SEVERITY_SHA256` at every read, like the bundled model:
an edit to the table is a reviewed change that updates the checksum in the same commit.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib import resources

import pandas as pd

SEVERITY_FILE = "severity.csv"
#: sha256 of ``severity.csv``; a change to the table updates it.
SEVERITY_SHA256 = "d174149adf10f5d90d8c72a25f3be14c1dcf48bb743d09c6644325f30a40405b"
SERIOUS = "serious"
MODERATE = "moderate"
MINOR = "minor"
#: The tiers, most serious first: the order a table sorts by within a frequency band.
TIERS: tuple[str, ...] = (SERIOUS, MODERATE, MINOR)
DME_SOURCE = "EMA Designated Medical Event list (EMA/326038/2020)"
REVIEW_SOURCE = "SEFreq review (ICH E2A seriousness criteria)"
#: The source of a name the table does not list.
UNLISTED_SOURCE = "not in the severity table"
COLUMNS = ("side_effect", "tier", "reason", "source")


class SeverityTableError(RuntimeError):
    """The shipped severity table is corrupted or malformed (a packaging fault)."""


@lru_cache(maxsize=1)
def severity_table() -> pd.DataFrame:
    """The reviewed table: one row per side effect (994, sorted by name) with columns
    side_effect, tier (:data:`TIERS`), reason (one line; always set for serious terms)
    and source. Raises :class:`SeverityTableError` when the file does not match its
    checksum or its rules."""
    raw = resources.files("sefreq.data").joinpath(SEVERITY_FILE).read_bytes()
    actual = hashlib.sha256(raw).hexdigest()
    if actual != SEVERITY_SHA256:
        raise SeverityTableError(
            f"sefreq/data/{SEVERITY_FILE} has sha256 {actual}, not the {SEVERITY_SHA256} "
            "the library records: the file was edited or damaged. Reinstall sefreq, or "
            "update SEVERITY_SHA256 with a reviewed change to the table."
        )
    from io import BytesIO

    table = pd.read_csv(BytesIO(raw), dtype=str, keep_default_na=False)
    _check(table)
    return table


def _check(table: pd.DataFrame) -> None:
    if tuple(table.columns) != COLUMNS:
        raise SeverityTableError(f"{SEVERITY_FILE} columns are {list(table.columns)}")
    if table["side_effect"].duplicated().any():
        repeated = sorted(set(table.loc[table["side_effect"].duplicated(), "side_effect"]))
        raise SeverityTableError(f"{SEVERITY_FILE} lists these terms twice: {repeated}")
    unknown = set(table["tier"]) - set(TIERS)
    if unknown:
        raise SeverityTableError(f"{SEVERITY_FILE} has unknown tiers {sorted(unknown)}")
    serious = table["tier"] == SERIOUS
    unexplained = table.loc[serious & (table["reason"].str.strip() == ""), "side_effect"]
    if len(unexplained):
        raise SeverityTableError(f"serious terms without a reason: {list(unexplained)}")
    if (table["source"].str.strip() == "").any():
        raise SeverityTableError(f"{SEVERITY_FILE} has rows without a source")


def severity_of(names) -> pd.DataFrame:
    """The tier, reason and source of each name, in the order given (index: the names as
    given), matched after case-folding. A name outside the table (the 994 are all in it;
    a test world may carry others) is :data:`MODERATE` with source :data:`UNLISTED_SOURCE`,
    never a guess of serious."""
    table = severity_table()
    table = table.set_index(table["side_effect"].str.casefold())[["tier", "reason", "source"]]
    names = list(names)
    found = table.reindex([str(name).casefold() for name in names])
    unlisted = found["tier"].isna().to_numpy()
    found.loc[unlisted, ["tier", "reason", "source"]] = [MODERATE, "", UNLISTED_SOURCE]
    found.index = pd.Index(names, name="side_effect")
    return found
