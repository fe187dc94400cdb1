"""One place for every constant a user could ask about: bands, labels, sizes, licences."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("sefreq")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0"

from dataclasses import dataclass

N_DRUGS = 759
N_SIDE_EFFECTS = 994
N_CLASSES = 5  # frequency classes 1..5; 0 means "not reported"
#: A cell of a training matrix whose side effect is reported but with no frequency stated
#: (SIDER lists it, no label gives a share): it counts for the association task only.
UNSTATED = 255


def stated(frequency):
    """Boolean array: cells with a frequency class 1..5 (not 0, not :data:`UNSTATED`)."""
    return (frequency > 0) & (frequency <= N_CLASSES)


@dataclass(frozen=True)
class FrequencyBand:
    """A CIOMS frequency band as drug labels use it."""

    frequency_class: int
    label: str
    smpc_wording: str
    lower: float  # share of patients, inclusive
    upper: float  # share of patients, exclusive

    @property
    def range_text(self) -> str:
        def pct(x: float) -> str:
            return f"{x * 100:g}%"

        if self.upper >= 1.0:
            return f">= {pct(self.lower)}"
        if self.lower <= 0.0:
            return f"< {pct(self.upper)}"
        return f"{pct(self.lower)} to < {pct(self.upper)}"


FREQUENCY_BANDS: dict[int, FrequencyBand] = {
    5: FrequencyBand(5, "very frequent", "very common", 0.1, 1.0),
    4: FrequencyBand(4, "frequent", "common", 0.01, 0.1),
    3: FrequencyBand(3, "infrequent", "uncommon", 0.001, 0.01),
    2: FrequencyBand(2, "rare", "rare", 0.0001, 0.001),
    1: FrequencyBand(1, "very rare", "very rare", 0.0, 0.0001),
}
CLASS_LABELS: dict[int, str] = {0: "not reported"} | {
    k: band.label for k, band in FREQUENCY_BANDS.items()
}
#: What the numbers of a frequency class (or the model's expected class) stand for, in the
#: SmPC's words: nothing a person reads says "class (1-5)" alone.
FREQUENCY_SCALE = f"1 = {FREQUENCY_BANDS[1].smpc_wording} … 5 = {FREQUENCY_BANDS[5].smpc_wording}"

# The 9 drugs that follow-up work holds out as the independent test set (docs/SCIENCE.md).
INDEPENDENT_TEST_DRUGS = (
    "cisatracurium",
    "everolimus",
    "fidaxomicin",
    "gadoteridol",
    "esomeprazole",
    "carboplatin",
    "doxercalciferol",
    "balsalazide",
    "ixabepilone",
)

DISCLAIMER = (
    "SEFreq predictions are research output, not medical advice. They do not replace a "
    "drug's label or a clinician's judgement."
)
SIDER_LICENCE = (
    "Side-effect frequencies come from SIDER 4.1 (Kuhn et al.), licensed CC BY-NC-SA 4.0: "
    "attribution, non-commercial use only, share-alike. Models trained on it carry the same terms."
)
DRUG_NAMES_LICENCE = (
    "Drug names, synonyms, brands and structures beyond SIDER come from DrugBank's open data "
    "(CC BY-NC 4.0: attribution, non-commercial use) and DrugCentral (CC BY-SA 4.0: "
    "attribution, share-alike)."
)
