"""The upstream files SEFreq builds its dataset from: where they live, their sums, licences.

Every file is pinned to a commit of its public repository and to a sha256. Where data is
looked for: ``SEFREQ_DATA_DIR`` if set, else the user's cache folder (platformdirs).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import platformdirs

DATA_DIR_ENV = "SEFREQ_DATA_DIR"
CACHE_DIR_ENV = "SEFREQ_CACHE_DIR"
FETCH_HINT = "sefreq data fetch"

_RAW = "https://raw.githubusercontent.com"
_PACCANARO = "paccanarolab/Side-effect-Frequencies@34c1b3a77949e16fba630b97006eab949b5b1cae"
_DSGAT = "xxy45/DSGAT@f2643969700c3da7f4d424d62c4f2befc60006dc"
_MULTIFG = "huzuhai/MultiFG@3eeafa7749c6fb9ac152ef4f497388cce9462404"
_SIDER41 = "dhimmel/SIDER4@be3adebc0d845baaddb907a880890cb5e85f5801"
_SIDER40 = "dhimmel/SIDER4@94c99c1b65217a4f6b2047b8eb8872db454cdf4e"
_DRUGBANK = "dhimmel/drugbank@6b9ae386d6ba4a0eca2d66d4b0337a6e90fe81f4"
_DRUGCENTRAL = "unmtransinfo/DrugCentral-2023@37a81bf71e82d83098bb4391724035688bb009ba"

MIT_PACCANARO = "MIT (paccanarolab/Side-effect-Frequencies)"
NO_LICENCE = "no licence stated by the repository"
SIDER = "CC BY-NC-SA 4.0 (SIDER)"
DRUGBANK = "CC BY-NC 4.0 (DrugBank open data)"
DRUGCENTRAL = "CC BY-SA 4.0 (DrugCentral)"


@dataclass(frozen=True)
class UpstreamFile:
    """One upstream file: its key, the file names it may carry locally, and its origin.

    ``variants`` maps each accepted local file name to its sha256. The first variant is
    the one `sefreq data fetch` downloads; later ones are accepted subsets of it (the
    759-drug extracts of SIDER files that ``../shared`` holds).
    """

    key: str
    variants: tuple[tuple[str, str], ...]  # fullest first: upstream, then the extracts
    source: str  # "OWNER/REPO@COMMIT"
    path: str  # path in that repository
    licence: str
    description: str

    @property
    def filename(self) -> str:
        return self.variants[0][0]

    @property
    def sha256(self) -> str:
        return self.variants[0][1]

    @property
    def url(self) -> str:
        repo, commit = self.source.split("@")
        return f"{_RAW}/{repo}/{commit}/{quote(self.path)}"


REGISTRY: dict[str, UpstreamFile] = {
    f.key: f
    for f in (
        UpstreamFile(
            "frequency_matrix",
            (
                (
                    "FrequencyData.mat",
                    "18b2468bc2febc12816e16f707c814e5ef1798566969811ee0d8da74887b7482",
                ),
            ),
            _PACCANARO,
            "data analysis/data/FrequencyData.mat",
            MIT_PACCANARO,
            "Galeano's 759 x 994 frequency-class matrix R, with drug and side-effect names",
        ),
        UpstreamFile(
            "dsgat_frequencies",
            (
                (
                    "dsgat_Supplementary_Data_1.txt",
                    "fcd4c838cae5f9633bd089a32b36be2772f800992ba0af8e5f7828d1b1bb07b2",
                ),
            ),
            _DSGAT,
            "original_data/Supplementary Data 1.txt",
            NO_LICENCE,
            "the same matrix as a long table (drug, term, class)",
        ),
        UpstreamFile(
            "organ_classes",
            (
                (
                    "dsgat_Supplementary_Data_3.txt",
                    "82806377df54312d4e7c4f2359f4cbaad9389a51d2dea4ca2ee4e34a6079db8b",
                ),
            ),
            _DSGAT,
            "original_data/Supplementary Data 3.txt",
            NO_LICENCE,
            "side effect -> MedDRA system organ class",
        ),
        UpstreamFile(
            "group_terms",
            (
                (
                    "dsgat_Supplementary_Data_4.txt",
                    "6fd6c0d12a8171c0ada5914b28711161514d2933159e7f4b0334ec3642e8b894",
                ),
            ),
            _DSGAT,
            "original_data/Supplementary Data 4.txt",
            NO_LICENCE,
            "side effect -> MedDRA high-level group term",
        ),
        UpstreamFile(
            "drug_smiles",
            (
                (
                    "dsgat_drug_SMILES_759.csv",
                    "a98552159655a0a70922099a399b85e1199b7d9307c65e3011c3097da4b50af2",
                ),
            ),
            _DSGAT,
            "data_750+9/drug_SMILES_759.csv",
            NO_LICENCE,
            "PubChem SMILES of the 759 drugs; the 9 independent-test drugs first",
        ),
        UpstreamFile(
            "drug_atc",
            (
                (
                    "multifg_Supplementary_Data_4.txt",
                    "043186453ff0c2ce8f6b328f8031b0e3257b3fa8612af5843577348f15ac7ca6",
                ),
            ),
            _MULTIFG,
            "dataset/original data/Supplementary Data 4.txt",
            NO_LICENCE,
            "PubChem CID and ATC codes of the 759 drugs",
        ),
        UpstreamFile(
            "drugbank_smiles",
            (
                (
                    "multifg_drug.csv.gz",
                    "fd5241e8505aefe74e9d2359be23aa8bcd4daf2da5f06de1894bb5843269b8bb",
                ),
            ),
            _MULTIFG,
            "dataset/drug.csv.gz",
            NO_LICENCE,
            "DrugBank isomeric SMILES of 743 drugs",
        ),
        UpstreamFile(
            "side_effect_similarity",
            (
                (
                    "multifg_adr.csv.gz",
                    "65b2a60e4127530935f95891da0a213387b5f223b81912d312e798ff3368c380",
                ),
            ),
            _MULTIFG,
            "dataset/adr.csv.gz",
            NO_LICENCE,
            "994 x 994 side-effect similarities on the ADReCS hierarchy",
        ),
        UpstreamFile(
            "sider_frequencies",
            (
                (
                    "meddra_freq.tsv.gz",
                    "fcdfbf479c6b568dfca557a3eb2cdbe49c4a3291090999c0de0bd7092feaec7f",
                ),
                (
                    "meddra_freq_dev.tsv.gz",
                    "9bc48f8863677c1e7982549fbb33669b47bac448168ad5aaade46e5ea945ec69",
                ),
                (
                    "meddra_freq_759.tsv.gz",
                    "a12dccda56cafeac1061471c0b5064ef5720ceebb5b3f91662e0f82318043c71",
                ),
            ),
            _SIDER41,
            "download/meddra_freq.tsv.gz",
            SIDER,
            "SIDER 4.1 label-level frequencies (drug and placebo rows)",
        ),
        UpstreamFile(
            "sider_labels",
            (
                (
                    "label_mapping.tsv.gz",
                    "da1b31bf3ff8f12a3437aa5edf44e5ae9440adc7f7a189d8b13f105f2578dcfb",
                ),
                (
                    "label_mapping_dev.tsv.gz",
                    "7f47398b3bc04e241f40960f015cc628af539423635b9c790297d0f8df1061e7",
                ),
                (
                    "label_mapping_759.tsv.gz",
                    "e422ee8e5545b340bb3abe4b1d725e2020466eca56cfaf6358cb6f517c601adb",
                ),
            ),
            _SIDER40,
            "download/label_mapping.tsv.gz",
            SIDER,
            "SIDER 4.0 label index: label names with salts, brand names, label URLs",
        ),
        UpstreamFile(
            "sider_all_side_effects",
            (
                (
                    "meddra_all_se.tsv.gz",
                    "119b2f5319a9398da83e5fe3419889010dbacf8d3eef590251b00c025e2b3f99",
                ),
                (
                    "meddra_all_se_dev.tsv.gz",
                    "990b02044a5670ef5671a1b141427abe1ab53230f785e5756abe244ed243d06b",
                ),
            ),
            _SIDER41,
            "download/meddra_all_se.tsv.gz",
            SIDER,
            "SIDER 4.1 side effects of every drug (with or without a frequency)",
        ),
        UpstreamFile(
            "drugbank_drugs",
            (
                (
                    "drugbank.tsv",
                    "66050d51cb7a614ea6e951d630d2cf40893b75026ebe8f56c6cc37c0e73c3edd",
                ),
            ),
            _DRUGBANK,
            "data/drugbank.tsv",
            DRUGBANK,
            "DrugBank 4.x: 8,258 drugs with names, groups, ATC codes, categories and InChI",
        ),
        UpstreamFile(
            "drugbank_pubchem",
            (
                (
                    "drugbank_pubchem.tsv",
                    "0973e18282d0a52a0f89fc0dcf2e204ad047442598e85562a5ff05c28db7342f",
                ),
            ),
            _DRUGBANK,
            "data/mapping/pubchem.tsv",
            DRUGBANK,
            "DrugBank id -> PubChem CID (UniChem)",
        ),
        UpstreamFile(
            "drugbank_pubchem_exact",
            (
                (
                    "drugbank_pubchem_exact.tsv",
                    "c842d787d39741bd8957b2224c4899d21afa5cb353b152fdef5658467d93c292",
                ),
            ),
            _DRUGBANK,
            "data/pubchem-mapping.tsv",
            DRUGBANK,
            "DrugBank id -> PubChem CID where the InChI matches exactly",
        ),
        UpstreamFile(
            "drugbank_aliases",
            (
                (
                    "drugbank_aliases.json",
                    "b6993c6c4e085e646a4101a8f44c7f75569136b3db4b51b7952791d14f33ae04",
                ),
            ),
            _DRUGBANK,
            "data/aliases.json",
            DRUGBANK,
            "DrugBank synonyms and brand names per drug",
        ),
        UpstreamFile(
            "drugcentral_structures",
            (
                (
                    "drugcentral_structures.smiles.tsv",
                    "34d8939df00a8615c6e9184774f86a1c0eca385765bd69d844b997ba69257e5a",
                ),
            ),
            _DRUGCENTRAL,
            "drugcen/static/structures.smiles.tsv",
            DRUGCENTRAL,
            "DrugCentral: 3,949 active ingredients with SMILES, InChIKey and INN",
        ),
        UpstreamFile(
            "drugbank_proteins",
            (
                (
                    "drugbank_proteins.tsv",
                    "8f78ad48e0dc9414074b00bf28e47048a1eafe9d5810a415547b8df69972c4e8",
                ),
            ),
            _DRUGBANK,
            "data/proteins.tsv",
            DRUGBANK,
            "DrugBank: 19,906 drug-protein pairs (target, enzyme, transporter, carrier)",
        ),
        UpstreamFile(
            "drugcentral_targets",
            (
                (
                    "drugcentral_targets.json",
                    "5b1fe228b0c62eda9dbc6357b0c7c61af600c6b3548006b276beb8487f112779",
                ),
            ),
            _DRUGCENTRAL,
            "drugcen/static/AllTargets.json",
            DRUGCENTRAL,
            "DrugCentral: 17,249 drug-target pairs (UniProt accessions, target names)",
        ),
    )
}


class DataMissingError(FileNotFoundError):
    """Upstream data is missing or fails its checksum; the message says how to fix it."""


def data_dir() -> Path:
    """Where upstream files are looked for: ``$SEFREQ_DATA_DIR`` or the user's cache."""
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser().resolve()
    return Path(platformdirs.user_cache_dir("sefreq")) / "upstream"


def cache_dir() -> Path:
    """Where derived artefacts (built dataset, SHAP backgrounds) are cached.

    ``$SEFREQ_CACHE_DIR`` if set (tests point it at a temporary folder), else the user's cache.
    """
    env = os.environ.get(CACHE_DIR_ENV)
    if env:
        return Path(env).expanduser().resolve()
    return Path(platformdirs.user_cache_dir("sefreq")) / "build"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class FileStatus:
    """What `sefreq data info` knows of one upstream file."""

    key: str
    path: Path | None  # the local file found, if any
    state: str  # "verified", "missing" or "corrupt"
    expected: str  # sha256 the found variant should have (or the main one)


def file_status(entry: UpstreamFile, directory: Path | None = None) -> FileStatus:
    """Find ``entry`` in ``directory`` (default: :func:`data_dir`) and check its sha256."""
    directory = directory or data_dir()
    for filename, expected in entry.variants:
        candidate = directory / filename
        if candidate.is_file():
            state = "verified" if sha256_of(candidate) == expected else "corrupt"
            return FileStatus(entry.key, candidate, state, expected)
    return FileStatus(entry.key, None, "missing", entry.sha256)


def resolve(key: str, directory: Path | None = None) -> Path:
    """Local path of upstream file ``key``, verified; raises :class:`DataMissingError`."""
    status = file_status(REGISTRY[key], directory)
    if status.state == "verified" and status.path is not None:
        return status.path
    where = directory or data_dir()
    if status.state == "corrupt":
        raise DataMissingError(
            f"{status.path} does not match its sha256 (expected {status.expected}). "
            f"Run `{FETCH_HINT}` to replace it."
        )
    raise DataMissingError(
        f"Upstream file {REGISTRY[key].filename!r} ({key}) is missing from {where}. "
        f"Run `{FETCH_HINT}` to download it, or set {DATA_DIR_ENV} to a folder that holds it."
    )


def fetch(
    directory: Path | None = None,
    base_url: str | None = None,
    progress: bool = True,
    report: Callable[[str], None] = print,
) -> list[FileStatus]:
    """Download every missing or corrupt upstream file into ``directory`` and verify it.

    A local file whose sum does not match is deleted, and the deletion is reported.
    ``base_url`` replaces the pinned repository URLs with ``{base_url}/{filename}`` (for
    mirrors and tests). Returns the status of every file after the fetch. A download is
    written under a temporary name and moved into place only once complete (pooch), so an
    interrupted fetch never leaves a half file under the real name.
    """
    from filelock import FileLock

    directory = directory or data_dir()
    directory.mkdir(parents=True, exist_ok=True)
    # Two fetches into one folder take turns: the second finds the files verified. The
    # lock lives in the cache, not beside the data (which may be read-only, or shared).
    name = hashlib.sha256(str(directory.resolve()).encode()).hexdigest()[:16]
    try:
        (cache_dir() / "locks").mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(cache_dir() / "locks" / f"fetch-{name}.lock"), timeout=3600)
        lock.acquire()
    except OSError:  # no writable cache: fetch without the lock
        return _fetch_files(directory, base_url, progress, report)
    try:
        return _fetch_files(directory, base_url, progress, report)
    finally:
        lock.release()


def _fetch_files(
    directory: Path, base_url: str | None, progress: bool, report: Callable[[str], None]
) -> list[FileStatus]:
    import pooch

    statuses = []
    for entry in REGISTRY.values():
        status = file_status(entry, directory)
        if status.state == "corrupt" and status.path is not None:
            try:
                status.path.unlink()
            except OSError as error:  # a read-only SEFREQ_DATA_DIR, say
                report(f"{status.path}: sha256 does not match and it cannot be deleted ({error}).")
                statuses.append(status)
                continue
            report(f"{status.path.name}: sha256 does not match; deleted it to fetch it again.")
        if status.state != "verified":
            url = f"{base_url.rstrip('/')}/{entry.filename}" if base_url else entry.url
            directory.mkdir(parents=True, exist_ok=True)
            try:
                pooch.retrieve(
                    url,
                    known_hash=f"sha256:{entry.sha256}",
                    fname=entry.filename,
                    path=directory,
                    progressbar=progress,
                )
                report(f"{entry.filename}: downloaded and verified.")
            except ValueError as error:  # pooch deletes a download whose hash does not match
                report(
                    f"{entry.filename}: the downloaded file failed its sha256 check "
                    f"and was deleted ({error})."
                )
            except Exception as error:  # network errors: say which file and go on
                report(f"{entry.filename}: could not download from {url}: {error}")
        statuses.append(file_status(entry, directory))
    return statuses
