"""The manifest's digest cache: a digest is reused only for a file whose stat is unchanged, and
an edit is seen even when the size and the modification time are put back."""

from __future__ import annotations

import hashlib
import os
import subprocess
import time

import pytest

from figtrace import manifest
from figtrace.documents import sha256_bytes
from figtrace.errors import FigtraceError
from figtrace.manifest import DIGEST_LIST_HEADER, manifest_text, read_digest_list


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
    cache = tmp_path / "cache.txt"
    first = manifest.manifest_text([outputs], tmp_path, cache=cache)
    calls = digest_calls(monkeypatch)
    assert manifest.manifest_text([outputs], tmp_path, cache=cache) == first
    assert calls == []


def test_an_edit_with_size_and_time_put_back_is_seen(outputs, settled, tmp_path, monkeypatch):
    cache = tmp_path / "cache.txt"
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
    cache = tmp_path / "cache.txt"
    clock_at(monkeypatch, outputs, 0.5)  # both written half a second before the manifest
    manifest.manifest_text([outputs], tmp_path, cache=cache)
    calls = digest_calls(monkeypatch)
    manifest.manifest_text([outputs], tmp_path, cache=cache)
    assert sorted(calls) == ["a.txt", "b.txt"]


@pytest.mark.parametrize(
    ("after", "remembered"), [(1.9, False), (2.0, False), (2.1, True), (60, True)]
)
def test_files_are_remembered_once_settled(outputs, tmp_path, monkeypatch, after, remembered):
    (outputs / "b.txt").unlink()  # one file: its change time is the clock's reference
    cache = tmp_path / "cache.txt"
    clock_at(monkeypatch, outputs, after)
    first = manifest.manifest_text([outputs], tmp_path, cache=cache)
    calls = digest_calls(monkeypatch)
    assert manifest.manifest_text([outputs], tmp_path, cache=cache) == first
    assert calls == ([] if remembered else ["a.txt"])


def test_an_unreadable_cache_only_costs_time(outputs, tmp_path):
    cache = tmp_path / "cache.txt"
    cache.write_text("{not json", "utf-8")
    plain = manifest.manifest_text([outputs], tmp_path)
    assert manifest.manifest_text([outputs], tmp_path, cache=cache) == plain


def test_manifest_lists_every_file_at_any_depth_but_hidden_ones(tmp_path):
    results = tmp_path / "results"
    (results / "charts" / "deep").mkdir(parents=True)
    (results / ".hidden").mkdir()
    files = {
        "results/a.txt": b"a\n",
        "results/charts/c.png": b"\x89PNG",
        "results/charts/deep/d.csv": b"x,y\n",
        "results/.gitkeep": b"",
        "results/.b.txt.k1ll3d.tmp": b"half",
        "results/.hidden/e.txt": b"e",
    }
    for rel, data in files.items():
        (tmp_path / rel).write_bytes(data)
    listed = ["results/a.txt", "results/charts/c.png", "results/charts/deep/d.csv"]
    assert manifest.manifest_files([results], tmp_path) == listed
    text = manifest.manifest_text([results], tmp_path)
    assert text == "".join(f"{hashlib.sha256(files[r]).hexdigest()}  {r}\n" for r in listed)
    # a folder that is the root itself lists bare names
    assert manifest.manifest_files([results], results) == [
        r.removeprefix("results/") for r in listed
    ]


def test_write_manifest_leaves_itself_out_and_counts_lines(tmp_path):
    results = tmp_path / "results"
    (results / "sub").mkdir(parents=True)
    (results / "a.txt").write_text("a\n", "utf-8")
    (results / "sub" / "b.txt").write_text("b\n", "utf-8")
    out = results / "MANIFEST.sha256"
    out.write_text("an old manifest\n", "utf-8")
    assert manifest.write_manifest(out, [results], tmp_path) == 2
    a, b = (hashlib.sha256(data).hexdigest() for data in (b"a\n", b"b\n"))
    assert out.read_text("utf-8") == f"{a}  results/a.txt\n{b}  results/sub/b.txt\n"
    # sha256sum -c reads it from the root
    check = subprocess.run(["sha256sum", "-c", str(out)], cwd=tmp_path, capture_output=True)
    assert check.returncode == 0, check.stdout


def test_a_missing_output_folder_is_named(tmp_path):
    with pytest.raises(FigtraceError) as info:
        manifest.manifest_files([tmp_path / "nope"], tmp_path)
    assert (
        str(info.value) == f"{tmp_path / 'nope'}: not a folder; the manifest lists output folders."
    )


def test_the_digest_cache_file_is_stable(outputs, settled, tmp_path):
    cache = tmp_path / "cache.txt"
    manifest.manifest_text([outputs], tmp_path, cache=cache)
    text = cache.read_text("utf-8")
    manifest.manifest_text([outputs], tmp_path, cache=cache)
    assert cache.read_text("utf-8") == text
    st = (outputs / "a.txt").stat()
    a = hashlib.sha256(b"file a.txt\n").hexdigest()
    key = f"{st.st_size} {st.st_ino} {st.st_mtime_ns} {st.st_ctime_ns}"
    assert text.startswith(manifest.CACHE_HEADER + f"results/a.txt\0{key} {a}\nresults/b.txt\0")
    assert text.count("\n") == 3


def test_a_large_file_is_hashed_whole(tmp_path):
    big = tmp_path / "big.bin"
    data = bytes(range(256)) * 20_000  # about 5 MB: several read blocks
    big.write_bytes(data)
    assert manifest._sha256_file(big) == hashlib.sha256(data).hexdigest()


def test_recorded_digests_are_listed_as_recorded_and_only_for_files_there(tmp_path):
    """A viewer job's list gives the digests of the files it names (they are not read again);
    a file it names that is not there is not listed, and a list of another format is ignored."""
    out = tmp_path / "results"
    (out / "sources").mkdir(parents=True)
    (out / "sources/a.html").write_text("page a", "utf-8")
    (out / "sources/b.html").write_text("page b", "utf-8")
    (out / "other.txt").write_text("other", "utf-8")
    plain = manifest_text([out], tmp_path)
    listing = out / "sources/shard-0.tsv"
    rows = [f"{n}\t{n}.html\t{sha256_bytes(f'page {n}'.encode())}\n" for n in ("a", "b", "gone")]
    listing.write_text(DIGEST_LIST_HEADER + "".join(rows), "utf-8")
    recorded = manifest_text([out], tmp_path, recorded=[listing])
    assert [line for line in recorded.splitlines() if "shard-0.tsv" not in line] == (
        plain.splitlines()
    )
    assert "gone" not in recorded
    # the recorded digest is used as it is: a list that lies shows in the manifest
    lying = rows[0].replace(sha256_bytes(b"page a"), "0" * 64)
    listing.write_text(DIGEST_LIST_HEADER + lying + rows[1], "utf-8")
    assert f"{'0' * 64}  results/sources/a.html" in manifest_text(
        [out], tmp_path, recorded=[listing]
    )
    listing.write_text("doc_id\tviewer\n" + "a\ta.html\n", "utf-8")  # another format: hashed
    assert sha256_bytes(b"page a") + "  results/sources/a.html" in manifest_text(
        [out], tmp_path, recorded=[listing]
    )


def test_a_viewer_list_with_a_bad_row_keeps_its_good_rows(tmp_path):
    # a list as the jobs write it is read in one cut; one with a row of another shape is read row
    # by row, and only that row is left out
    good = [f"d{i}\td{i}.html\t{str(i) * 64}\n" for i in range(3)]
    listing = tmp_path / "list.tsv"
    listing.write_text(DIGEST_LIST_HEADER + "".join(good), "utf-8")
    expected = {f"p/d{i}.html": str(i) * 64 for i in range(3)}
    assert read_digest_list(listing, "p/") == expected
    for bad in ("d9\td9.html\tshort\n", "d9\tx\td9.html\t" + "9" * 64 + "\n", "\n"):
        listing.write_text(DIGEST_LIST_HEADER + good[0] + bad + "".join(good[1:]), "utf-8")
        assert read_digest_list(listing, "p/") == expected, bad
    listing.write_text(DIGEST_LIST_HEADER + "".join(good).rstrip("\n"), "utf-8")
    assert read_digest_list(listing, "p/") == expected  # no newline after the last row
