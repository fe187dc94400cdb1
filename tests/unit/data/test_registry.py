"""The upstream registry: where data is looked for, file states, and `resolve()`."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import platformdirs
import pytest

from sefreq.data.registry import (
    DATA_DIR_ENV,
    FETCH_HINT,
    REGISTRY,
    SIDER,
    DataMissingError,
    UpstreamFile,
    data_dir,
    file_status,
    resolve,
    sha256_of,
)

TOY_MAIN = b"the full upstream file\n"
TOY_SUBSET = b"a subset of it\n"


def _sum(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


@pytest.fixture
def toy(monkeypatch: pytest.MonkeyPatch) -> UpstreamFile:
    """A registry entry with a main file and an accepted subset, known to the registry."""
    entry = UpstreamFile(
        "toy",
        (("toy.txt", _sum(TOY_MAIN)), ("toy_subset.txt", _sum(TOY_SUBSET))),
        "owner/repo@0123456789abcdef",
        "data/toy file.txt",
        "MIT",
        "a toy file",
    )
    monkeypatch.setitem(REGISTRY, entry.key, entry)
    return entry


def test_registry_entries_are_well_formed() -> None:
    filenames = [name for entry in REGISTRY.values() for name, _ in entry.variants]
    assert len(filenames) == len(set(filenames))
    for key, entry in REGISTRY.items():
        assert entry.key == key
        assert entry.licence and entry.description
        for _, sha256 in entry.variants:
            assert re.fullmatch(r"[0-9a-f]{64}", sha256)
        repo, commit = entry.source.split("@")
        assert re.fullmatch(r"[0-9a-f]{40}", commit), key  # pinned to a commit, not a branch
        assert entry.url.startswith(f"https://raw.githubusercontent.com/{repo}/{commit}/")
        assert " " not in entry.url
    assert {entry.key for entry in REGISTRY.values() if entry.licence == SIDER} == {
        "sider_frequencies",
        "sider_labels",
        "sider_all_side_effects",
    }


def test_url_encodes_spaces(toy: UpstreamFile) -> None:
    assert (
        toy.url
        == "https://raw.githubusercontent.com/owner/repo/0123456789abcdef/data/toy%20file.txt"
    )


def test_data_dir_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))
    assert data_dir() == tmp_path.resolve()

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv(DATA_DIR_ENV, "~/upstream")
    assert data_dir() == (tmp_path / "upstream").resolve()


def test_data_dir_defaults_to_the_user_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    assert data_dir() == Path(platformdirs.user_cache_dir("sefreq")) / "upstream"


def test_file_status_states(toy: UpstreamFile, tmp_path: Path) -> None:
    assert file_status(toy, tmp_path).state == "missing"
    assert file_status(toy, tmp_path).path is None

    (tmp_path / "toy_subset.txt").write_bytes(TOY_SUBSET)
    subset = file_status(toy, tmp_path)
    assert (subset.state, subset.path) == ("verified", tmp_path / "toy_subset.txt")

    (tmp_path / "toy.txt").write_bytes(b"damaged")  # the main name is looked at first
    damaged = file_status(toy, tmp_path)
    assert (damaged.state, damaged.path, damaged.expected) == (
        "corrupt",
        tmp_path / "toy.txt",
        toy.sha256,
    )


def test_resolve_returns_the_verified_file(toy: UpstreamFile, tmp_path: Path) -> None:
    (tmp_path / "toy.txt").write_bytes(TOY_MAIN)
    assert resolve("toy", tmp_path) == tmp_path / "toy.txt"
    assert sha256_of(tmp_path / "toy.txt") == toy.sha256


def test_resolve_uses_the_data_dir_from_the_environment(
    toy: UpstreamFile, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "toy_subset.txt").write_bytes(TOY_SUBSET)
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))
    assert resolve("toy") == tmp_path.resolve() / "toy_subset.txt"


@pytest.mark.parametrize("key", list(REGISTRY))
def test_resolve_missing_says_how_to_fix_it(
    key: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))
    with pytest.raises(DataMissingError) as raised:
        resolve(key)
    message = str(raised.value)
    assert f"`{FETCH_HINT}`" in message
    assert REGISTRY[key].filename in message
    assert str(tmp_path.resolve()) in message
    assert DATA_DIR_ENV in message
    assert isinstance(raised.value, FileNotFoundError)  # callers may catch the builtin


def test_resolve_corrupt_says_how_to_fix_it(toy: UpstreamFile, tmp_path: Path) -> None:
    (tmp_path / "toy.txt").write_bytes(b"damaged")
    with pytest.raises(DataMissingError, match=re.escape(f"`{FETCH_HINT}`")) as raised:
        resolve("toy", tmp_path)
    assert toy.sha256 in str(raised.value)


@pytest.mark.realdata
def test_real_upstream_files_match_their_pinned_sums(real_data_dir: Path) -> None:
    for key in REGISTRY:
        assert resolve(key, real_data_dir).parent == real_data_dir


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    from sefreq.data.registry import cache_dir

    monkeypatch.setenv("SEFREQ_CACHE_DIR", str(tmp_path / "cache"))
    assert cache_dir() == (tmp_path / "cache").resolve()
    monkeypatch.delenv("SEFREQ_CACHE_DIR")
    assert cache_dir() == Path(platformdirs.user_cache_dir("sefreq")) / "build"
