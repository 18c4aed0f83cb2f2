"""The manifest's digest cache: a digest is reused only for a file whose stat is unchanged, and
an edit is seen even when the size and the modification time are put back."""

from __future__ import annotations

import hashlib
import os
import time

import pytest

from figtrace import manifest


@pytest.fixture
def outputs(tmp_path):
    folder = tmp_path / "results"
    folder.mkdir()
    for name in ("a.txt", "b.txt"):
        (folder / name).write_text(f"file {name}\n", "utf-8")
    return folder


@pytest.fixture
def settled(monkeypatch):
    """Treat every file as older than the racy window (a test cannot set a ctime back)."""
    monkeypatch.setattr(manifest, "RACY_NS", -1)


def digest_calls(monkeypatch) -> list[str]:
    calls: list[str] = []
    real = manifest._sha256_file

    def counting(path):
        calls.append(os.path.basename(path))
        return real(path)

    monkeypatch.setattr(manifest, "_sha256_file", counting)
    return calls


def test_unchanged_files_are_not_read_again(outputs, settled, tmp_path, monkeypatch):
    cache = tmp_path / "cache.json"
    first = manifest.manifest_text([outputs], tmp_path, cache=cache)
    calls = digest_calls(monkeypatch)
    assert manifest.manifest_text([outputs], tmp_path, cache=cache) == first
    assert calls == []


def test_an_edit_with_size_and_time_put_back_is_seen(outputs, settled, tmp_path, monkeypatch):
    cache = tmp_path / "cache.json"
    manifest.manifest_text([outputs], tmp_path, cache=cache)
    target = outputs / "a.txt"
    st = target.stat()
    time.sleep(0.05)  # past the clock tick of the first write, as any later edit is
    target.write_text("file X.txt\n", "utf-8")  # same size
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))  # same modification time
    calls = digest_calls(monkeypatch)
    text = manifest.manifest_text([outputs], tmp_path, cache=cache)
    assert calls == ["a.txt"]
    expected = hashlib.sha256(b"file X.txt\n").hexdigest()
    assert f"{expected}  results/a.txt\n" in text


def clock_at(monkeypatch, folder, seconds_after: float) -> None:
    """Set the manifest's clock to `seconds_after` the newest change of any file in `folder`
    (not the wall clock: a slow machine must not turn a fresh file into a settled one)."""
    newest = max(
        max(p.stat().st_mtime_ns, p.stat().st_ctime_ns) for p in folder.iterdir() if p.is_file()
    )

    class Clock:
        @staticmethod
        def time_ns() -> int:
            return newest + int(seconds_after * 1e9)

    monkeypatch.setattr(manifest, "time", Clock)


def test_files_changed_just_now_are_not_remembered(outputs, tmp_path, monkeypatch):
    cache = tmp_path / "cache.json"
    clock_at(monkeypatch, outputs, 0.5)  # both written half a second before the manifest
    manifest.manifest_text([outputs], tmp_path, cache=cache)
    calls = digest_calls(monkeypatch)
    manifest.manifest_text([outputs], tmp_path, cache=cache)
    assert sorted(calls) == ["a.txt", "b.txt"]


@pytest.mark.parametrize(("after", "remembered"), [(1.9, False), (2.1, True), (60, True)])
def test_files_are_remembered_once_settled(outputs, tmp_path, monkeypatch, after, remembered):
    cache = tmp_path / "cache.json"
    clock_at(monkeypatch, outputs, after)
    first = manifest.manifest_text([outputs], tmp_path, cache=cache)
    calls = digest_calls(monkeypatch)
    assert manifest.manifest_text([outputs], tmp_path, cache=cache) == first
    assert sorted(calls) == ([] if remembered else ["a.txt", "b.txt"])


def test_an_unreadable_cache_only_costs_time(outputs, tmp_path):
    cache = tmp_path / "cache.json"
    cache.write_text("{not json", "utf-8")
    plain = manifest.manifest_text([outputs], tmp_path)
    assert manifest.manifest_text([outputs], tmp_path, cache=cache) == plain
