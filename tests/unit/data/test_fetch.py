"""`fetch()` and `sefreq data fetch|info` against a loopback mirror of the real upstream files.

The mirror is ``http.server`` on 127.0.0.1 serving a temporary copy of the files in
``SEFREQ_DATA_DIR``, with one file's bytes changed. Nothing here touches the internet.

The shared folder holds only the 759-drug subsets of the two SIDER files, so the mirror
serves each subset under the full file's name and the test registry pins that name to the
subset's sum. Every other entry keeps its real pinned sha256, and the download, the
verification and the deletion all run through the real code (pooch included).
"""

from __future__ import annotations

import re
import shutil
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from sefreq.cli import main
from sefreq.data.registry import FETCH_HINT, REGISTRY, fetch, file_status, sha256_of

CORRUPTED = "dsgat_Supplementary_Data_3.txt"  # the file whose served bytes are changed
_PROXY_VARIABLES = ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY")
_INFO_LINE = re.compile(r"^\s+(verified|missing|corrupt)\s+(\S+)", re.MULTILINE)


class _CountingHandler(SimpleHTTPRequestHandler):
    """Serves files from a folder and counts GET requests per file name."""

    def do_GET(self) -> None:
        self.server.requests[self.path.lstrip("/")] += 1  # type: ignore[attr-defined]
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output quiet."""


@dataclass
class Mirror:
    """A running loopback mirror: its folder, its URL and the requests it has served."""

    root: Path
    base_url: str
    requests: Counter[str]
    pristine: bytes  # the true bytes of ``CORRUPTED``

    def served(self) -> list[str]:
        """Names of the files the mirror serves, registry order."""
        return [entry.filename for entry in REGISTRY.values()]

    def repair(self) -> None:
        """Serve the true bytes of ``CORRUPTED`` from now on."""
        (self.root / CORRUPTED).write_bytes(self.pristine)


@pytest.fixture
def mirror(
    real_data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Mirror]:
    """Start a mirror of the real upstream files with ``CORRUPTED`` damaged."""
    root = tmp_path / "mirror"
    root.mkdir()
    for entry in list(REGISTRY.values()):
        found = file_status(entry, real_data_dir)
        assert found.state == "verified" and found.path is not None, found
        shutil.copyfile(found.path, root / entry.filename)
        if found.path.name != entry.filename:
            # Only the 759-drug subset is at hand: let it stand in for the full file.
            pinned = ((entry.filename, sha256_of(found.path)), *entry.variants[1:])
            monkeypatch.setitem(REGISTRY, entry.key, replace(entry, variants=pinned))
    pristine = (root / CORRUPTED).read_bytes()
    damaged = bytearray(pristine)
    damaged[100:110] = b"XXXXXXXXXX"
    (root / CORRUPTED).write_bytes(bytes(damaged))

    for variable in _PROXY_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_CountingHandler, directory=str(root)))
    server.requests = Counter()  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base_url = f"http://127.0.0.1:{server.server_port}"
        yield Mirror(root, base_url, server.requests, pristine)  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _fetch(directory: Path, mirror: Mirror) -> tuple[dict[str, str], list[str]]:
    """Run the real fetch into ``directory``; return state by file name and the report lines."""
    messages: list[str] = []
    statuses = fetch(directory, base_url=mirror.base_url, progress=False, report=messages.append)
    states = {REGISTRY[status.key].filename: status.state for status in statuses}
    return states, messages


def _info_states(output: str) -> dict[str, str]:
    """State by file name from the output of `sefreq data info`."""
    return {name: state for state, name in _INFO_LINE.findall(output)}


@pytest.mark.realdata
def test_fetch_downloads_and_verifies_every_good_file(mirror: Mirror, tmp_path: Path) -> None:
    target = tmp_path / "data"
    states, messages = _fetch(target, mirror)

    good = [name for name in mirror.served() if name != CORRUPTED]
    assert states == {name: "verified" for name in good} | {CORRUPTED: "missing"}
    for name in good:
        assert sha256_of(target / name) == sha256_of(mirror.root / name)
        assert f"{name}: downloaded and verified." in messages
    assert mirror.requests == Counter(mirror.served())  # each file asked for exactly once


@pytest.mark.realdata
def test_fetch_deletes_a_download_that_fails_its_sum(mirror: Mirror, tmp_path: Path) -> None:
    target = tmp_path / "data"
    _fetch(target, mirror)
    _, messages = _fetch(target, mirror)  # a second try fails the same way

    assert not (target / CORRUPTED).exists()
    # No temporary download is left behind either.
    assert sorted(path.name for path in target.iterdir()) == sorted(
        name for name in mirror.served() if name != CORRUPTED
    )
    failures = [message for message in messages if message.startswith(f"{CORRUPTED}:")]
    assert len(failures) == 1
    assert "failed its sha256" in failures[0] and "deleted" in failures[0]
    assert REGISTRY["organ_classes"].sha256 in failures[0]  # says which sum was expected


@pytest.mark.realdata
def test_fetch_replaces_a_local_file_with_the_wrong_sum(mirror: Mirror, tmp_path: Path) -> None:
    target = tmp_path / "data"
    target.mkdir()
    (target / "FrequencyData.mat").write_bytes(b"not the matrix")
    # A damaged copy of an accepted subset is replaced by the main file.
    (target / "meddra_freq_759.tsv.gz").write_bytes(b"not gzip")

    states, messages = _fetch(target, mirror)

    for damaged in ("FrequencyData.mat", "meddra_freq_759.tsv.gz"):
        assert f"{damaged}: sha256 does not match; deleted it to fetch it again." in messages
    assert not (target / "meddra_freq_759.tsv.gz").exists()
    assert states["FrequencyData.mat"] == "verified"
    assert states["meddra_freq.tsv.gz"] == "verified"
    assert sha256_of(target / "FrequencyData.mat") == REGISTRY["frequency_matrix"].sha256
    assert mirror.requests["FrequencyData.mat"] == 1
    assert mirror.requests["meddra_freq.tsv.gz"] == 1


@pytest.mark.realdata
def test_fetch_does_not_download_a_verified_file_again(mirror: Mirror, tmp_path: Path) -> None:
    target = tmp_path / "data"
    target.mkdir()
    present = target / "multifg_adr.csv.gz"
    shutil.copyfile(mirror.root / present.name, present)
    modified = present.stat().st_mtime_ns

    states, _ = _fetch(target, mirror)
    assert states[present.name] == "verified"
    assert mirror.requests[present.name] == 0
    assert present.stat().st_mtime_ns == modified

    # Once everything good is in place, only the file that keeps failing is asked for.
    before = mirror.requests.copy()
    _fetch(target, mirror)
    assert mirror.requests - before == Counter({CORRUPTED: 1})


@pytest.mark.realdata
def test_fetch_reports_a_file_the_mirror_does_not_have(mirror: Mirror, tmp_path: Path) -> None:
    (mirror.root / "multifg_drug.csv.gz").unlink()
    states, messages = _fetch(tmp_path / "data", mirror)

    assert states["multifg_drug.csv.gz"] == "missing"
    assert any(
        message.startswith("multifg_drug.csv.gz: could not download from ")
        and mirror.base_url in message
        for message in messages
    )
    assert states["multifg_adr.csv.gz"] == "verified"  # one failure does not stop the rest


@pytest.mark.realdata
def test_cli_fetch_exit_code_follows_the_result(
    mirror: Mirror, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "data"
    argv = ["data", "fetch", "--dir", str(target), "--base-url", mirror.base_url, "--no-progress"]

    assert main(argv) == 1
    out = capsys.readouterr().out
    assert f"{len(REGISTRY) - 1}/{len(REGISTRY)} files verified" in out
    assert "organ_classes: missing" in out

    mirror.repair()
    assert main(argv) == 0
    assert f"{len(REGISTRY)}/{len(REGISTRY)} files verified" in capsys.readouterr().out


@pytest.mark.realdata
def test_cli_info_after_a_fetch_names_the_fix(
    mirror: Mirror, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "data"
    _fetch(target, mirror)
    capsys.readouterr()

    assert main(["data", "info", "--dir", str(target)]) == 1
    out = capsys.readouterr().out
    states = _info_states(out)
    assert states == {name: "verified" for name in mirror.served() if name != CORRUPTED} | {
        CORRUPTED: "missing"
    }
    assert f"Run `{FETCH_HINT}`" in out
    assert str(target) in out


@pytest.mark.realdata
def test_cli_info_shows_a_corrupt_file(
    mirror: Mirror, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "data"
    _fetch(target, mirror)
    (target / "dsgat_drug_SMILES_759.csv").write_text("aspirin,C\n")
    capsys.readouterr()

    assert main(["data", "info", "--dir", str(target)]) == 1
    out = capsys.readouterr().out
    assert _info_states(out)["dsgat_drug_SMILES_759.csv"] == "corrupt"
    assert "2 file(s) missing or corrupt" in out
    assert f"Run `{FETCH_HINT}`" in out


@pytest.mark.realdata
def test_cli_info_all_verified_on_the_real_folder(
    real_data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SEFREQ_DATA_DIR", str(real_data_dir))
    assert main(["data", "info"]) == 0  # the folder comes from the environment
    out = capsys.readouterr().out
    assert set(_info_states(out).values()) == {"verified"}
    assert len(_info_states(out)) == len(REGISTRY)
    assert f"All {len(REGISTRY)} files verified." in out
    assert FETCH_HINT not in out
    assert str(real_data_dir) in out


def test_cli_info_on_an_empty_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data", "info", "--dir", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert set(_info_states(out).values()) == {"missing"}
    assert f"{len(REGISTRY)} file(s) missing or corrupt. Run `{FETCH_HINT}` to fix." in out


class _CutHandler(SimpleHTTPRequestHandler):
    """Announces the whole file, sends half of it, and hangs up: an interrupted download."""

    def do_GET(self) -> None:
        body = (Path(self.directory) / self.path.lstrip("/")).read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output quiet."""


def test_an_interrupted_download_never_leaves_a_file_under_the_real_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sefreq.data.registry import UpstreamFile

    for variable in _PROXY_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    served = tmp_path / "served"
    served.mkdir()
    content = b"0123456789" * 50_000
    (served / "part.txt").write_bytes(content)
    entry = UpstreamFile("part", (("part.txt", sha256_of(served / "part.txt")),), "x/y@z",
                         "part.txt", "MIT", "a test file")  # fmt: skip
    for key in list(REGISTRY):
        monkeypatch.delitem(REGISTRY, key)
    monkeypatch.setitem(REGISTRY, "part", entry)
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_CutHandler, directory=str(served)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    messages: list[str] = []
    target = tmp_path / "data"
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        statuses = fetch(target, base_url=url, progress=False, report=messages.append)
    finally:
        server.shutdown()
    assert [s.state for s in statuses] == ["missing"]
    assert not (target / "part.txt").exists()
    assert any("part.txt" in m and "could not download" in m for m in messages)


def test_two_fetches_into_one_folder_take_turns(tmp_path: Path, monkeypatch) -> None:
    from concurrent.futures import ThreadPoolExecutor

    import sefreq.data.registry as registry

    active, overlap = [], []

    def one_at_a_time(directory, base_url, progress, report):
        active.append(1)
        overlap.append(len(active))
        threading.Event().wait(0.2)
        active.pop()
        return []

    monkeypatch.setattr(registry, "_fetch_files", one_at_a_time)
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda _: fetch(tmp_path, progress=False), range(2)))
    assert overlap == [1, 1]
