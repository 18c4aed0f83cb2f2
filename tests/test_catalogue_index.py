"""The catalogue index: a start trusts a document only if both its files stat exactly as when
they were verified, so a tampered byte among many documents is still caught once the index
exists; what a stat cannot see, `verify --all` catches; a missing, corrupt or foreign index is
never trusted, and `figtrace add` puts its document into the index."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import ROOT, run_snakemake
from figtrace import catalogue
from figtrace.catalogue import index_path, read_index, verify_catalogue, write_index
from figtrace.cli import main
from figtrace.documents import fingerprint_line
from figtrace.errors import FigtraceError
from figtrace.synth import synthesize

N = 40


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    synthesize(N, tmp_path / "corpus", ROOT / "data/raw", seed=3)
    return tmp_path / "corpus"


@pytest.fixture
def settled(monkeypatch):
    """Files written a moment ago count as settled (no racy re-hash), so that what is trusted
    is decided by the stats alone."""
    monkeypatch.setattr(catalogue, "RACY_NS", -(10**18))


def _same_stat_edit(path: Path, old: bytes, new: bytes) -> None:
    """Replace bytes keeping the size, and put the modification time back (os.utime)."""
    assert len(old) == len(new)
    before = path.stat()
    data = path.read_bytes()
    assert old in data
    path.write_bytes(data.replace(old, new, 1))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)


def test_a_warm_index_rehashes_nothing_and_lists_the_same_documents(corpus, tmp_path, settled):
    index = tmp_path / "index.tsv"
    cold = verify_catalogue(corpus, index)
    assert cold.rehashed == len(cold.entries) > N and "no catalogue index yet" in cold.note
    warm = verify_catalogue(corpus, index)
    assert (warm.rehashed, warm.note) == (0, None)
    assert warm.entries == cold.entries


def test_documents_added_or_removed_are_seen_without_a_changed_stat(corpus, tmp_path, settled):
    """The index lists the documents folder only when its own stat changed (an entry added,
    removed or renamed always changes it)."""
    index = tmp_path / "index.tsv"
    verify_catalogue(corpus, index)
    for suffix in (".txt", ".yaml"):
        (corpus / f"documents/synth-000005{suffix}").unlink()
    after = verify_catalogue(corpus, index)
    assert "synth-000005" not in {e.doc_id for e in after.entries}
    assert len(after.entries) == len(verify_catalogue(corpus, None).entries)


def test_a_registry_change_runs_the_checks_across_documents_again(corpus, tmp_path, settled):
    index = tmp_path / "index.tsv"
    verify_catalogue(corpus, index)
    registry = corpus / "reports.yaml"
    cited = verify_catalogue(corpus, index).entries[-1].reports_cited[0]
    registry.write_text(registry.read_text("utf-8").replace(cited, cited + "-renamed"), "utf-8")
    with pytest.raises(FigtraceError, match=f"reports_cited names '{cited}', not in"):
        verify_catalogue(corpus, index)


def test_a_full_verification_shared_by_processes_gives_the_same_result(corpus, monkeypatch):
    monkeypatch.setattr(catalogue, "PARALLEL_FROM", 1)
    one = verify_catalogue(corpus, None, full=True, workers=1)
    two = verify_catalogue(corpus, None, full=True, workers=2)
    assert [(e.doc_id, e.sha256, e.sidecar_sha256) for e in two.entries] == [
        (e.doc_id, e.sha256, e.sidecar_sha256) for e in one.entries
    ]
    for doc in ("synth-000031", "synth-000008"):  # the first in sidecar order is reported
        _same_stat_edit(corpus / f"documents/{doc}.txt", b"the", b"thE")
    with pytest.raises(FigtraceError, match=r"synth-000008.txt: sha256 is"):
        verify_catalogue(corpus, None, full=True, workers=2)


def test_a_tampered_raw_byte_is_caught_after_the_index_exists(corpus, tmp_path, settled):
    index = tmp_path / "index.tsv"
    verify_catalogue(corpus, index)
    _same_stat_edit(corpus / "documents/synth-000017.txt", b"the", b"thE")
    with pytest.raises(FigtraceError, match=r"synth-000017.txt: sha256 is .* raw bytes changed"):
        verify_catalogue(corpus, index)


def test_a_tampered_sidecar_byte_is_caught_after_the_index_exists(corpus, tmp_path, settled):
    index = tmp_path / "index.tsv"
    verify_catalogue(corpus, index)
    _same_stat_edit(corpus / "documents/synth-000029.yaml", b"language: en", b"language: EN")
    with pytest.raises(FigtraceError, match=r"synth-000029.yaml: does not match the document"):
        verify_catalogue(corpus, index)


def _change_some(corpus: Path) -> None:
    """Documents change the way a curator changes them: one removed, one sidecar edited, one
    document copied under a new id with different bytes."""
    for suffix in (".txt", ".yaml"):
        (corpus / f"documents/synth-000005{suffix}").unlink()
    sidecar = corpus / "documents/synth-000012.yaml"
    sidecar.write_text(sidecar.read_text("utf-8").replace("language: en", "language: cy"), "utf-8")
    raw = (corpus / "documents/synth-000013.txt").read_bytes() + b"One more line.\n"
    (corpus / "documents/synth-new-one.txt").write_bytes(raw)
    meta = (corpus / "documents/synth-000013.yaml").read_text("utf-8")
    meta = meta.replace("synth-000013", "synth-new-one")
    old_hash = meta.split("sha256: ", 1)[1].split("\n", 1)[0]
    meta = meta.replace(old_hash, catalogue.sha256_bytes(raw))
    (corpus / "documents/synth-new-one.yaml").write_text(meta, "utf-8")


def test_a_start_that_re_verifies_some_documents_gives_what_a_full_one_gives(
    corpus, tmp_path, settled
):
    """The columns merged from the index and the re-verified documents are, field for field,
    the ones a verification without an index makes."""
    index = tmp_path / "index.tsv"
    verify_catalogue(corpus, index)
    _change_some(corpus)
    merged = verify_catalogue(corpus, index)
    assert merged.rehashed == 2  # the edited sidecar and the new document, nothing else
    assert merged.columns.fields == verify_catalogue(corpus, None).columns.fields
    assert "synth-new-one" in merged.doc_ids and "synth-000005" not in merged.doc_ids
    assert verify_catalogue(corpus, index).rehashed == 0  # and the index it wrote is trusted


def test_a_tampered_byte_is_caught_when_other_documents_changed_too(corpus, tmp_path, settled):
    index = tmp_path / "index.tsv"
    verify_catalogue(corpus, index)
    _change_some(corpus)
    _same_stat_edit(corpus / "documents/synth-000021.txt", b"the", b"thE")
    with pytest.raises(FigtraceError, match=r"synth-000021.txt: sha256 is .* raw bytes changed"):
        verify_catalogue(corpus, index)


def test_the_checks_across_documents_name_a_duplicate_found_by_a_re_verifying_start(
    corpus, tmp_path, settled
):
    index = tmp_path / "index.tsv"
    verify_catalogue(corpus, index)
    meta = (corpus / "documents/synth-000013.yaml").read_text("utf-8")
    (corpus / "documents/synth-copy-13.txt").write_bytes(
        (corpus / "documents/synth-000013.txt").read_bytes()
    )
    (corpus / "documents/synth-copy-13.yaml").write_text(
        meta.replace("synth-000013", "synth-copy-13"), "utf-8"
    )
    with pytest.raises(FigtraceError, match=r"duplicate sha256 \(the same bytes\)"):
        verify_catalogue(corpus, index)


def test_what_a_stat_cannot_see_verify_all_catches(corpus, tmp_path, settled):
    """Bytes changed behind the file system's back (bit rot, a block device edited) leave the
    stat as it was. Simulated here by recording the changed file's stat in the index: the start
    trusts it, as a stat-based index must; `verify --all` re-hashes and refuses it."""
    index = tmp_path / "index.tsv"
    verify_catalogue(corpus, index)
    raw = corpus / "documents/synth-000011.txt"
    _same_stat_edit(raw, b"the", b"thE")
    stored = read_index(index, corpus)
    fields = stored.columns.fields
    fields["raw_stat"][fields["sidecar_name"].index("synth-000011.yaml")] = catalogue.stat_key(raw)
    write_index(index, corpus, stored.columns, stored.folder_stat, stored.registry)
    assert verify_catalogue(corpus, index).rehashed == 0  # trusted: the limit of a stat
    with pytest.raises(FigtraceError, match=r"synth-000011.txt: sha256 is .* raw bytes changed"):
        verify_catalogue(corpus, index, full=True)


def test_verify_all_re_hashes_the_real_documents(monkeypatch, tmp_path):
    """The full re-hash on demand, on the project's own data/raw (CI runs it with the suite)."""
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["verify", "--all", "--raw", str(ROOT / "data/raw")])
    assert result.exit_code == 0, result.output
    assert "documents re-hashed and valid" in result.output
    assert index_path(ROOT / "data/raw", tmp_path / catalogue.INDEX_DIR).is_file()


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda p: p.unlink(), "no catalogue index yet"),
        (lambda p: p.write_text("{not an index", "utf-8"), "is unreadable"),
        (lambda p: p.write_bytes(p.read_bytes()[:-40]), "do not match its checksum"),
        (
            lambda p: p.write_bytes(p.read_bytes().replace(b"article", b"reports", 1)),
            "do not match its checksum",
        ),  # fmt: skip
        (
            lambda p: p.write_bytes(p.read_bytes().replace(b"index 4\t", b"index 0\t", 1)),
            "another raw folder, schema or index version",
        ),
    ],
    ids=["missing", "garbage", "truncated", "edited", "foreign"],
)
def test_a_missing_or_corrupt_index_is_rebuilt_by_full_verification(
    corpus, tmp_path, settled, damage, reason
):
    index = tmp_path / "index.tsv"
    first = verify_catalogue(corpus, index)
    damage(index)
    again = verify_catalogue(corpus, index)
    assert reason in again.note and "verifying every document in full" in again.note
    assert again.rehashed == len(first.entries)
    assert read_index(index, corpus).unusable is None  # written anew, usable
    assert verify_catalogue(corpus, index).rehashed == 0


def test_files_changed_just_before_the_index_was_written_are_rehashed(corpus, tmp_path):
    """Racy entries (git's term): a second write within the clock's granularity could keep the
    stat, so files younger than RACY_NS when verified are recorded without one and re-hashed."""
    index = tmp_path / "index.tsv"
    verify_catalogue(corpus, index)
    assert verify_catalogue(corpus, index).rehashed > N  # the corpus was written just now


def test_add_puts_its_document_into_the_index(corpus, tmp_path, monkeypatch, settled):
    monkeypatch.chdir(tmp_path)
    index = index_path(corpus, catalogue.INDEX_DIR)
    verify_catalogue(corpus, index)
    article = tmp_path / "new.txt"
    article.write_text("Police said 1,234 children were referred in 2019.\n", "utf-8")
    args = ["add", str(article), "--raw", str(corpus), "--title", "New", "--id", "new-article"]
    before = index.read_bytes()
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    # appended to the journal: the index itself is not rewritten for one entry
    assert index.read_bytes() == before and catalogue.journal_path(index).is_file()
    stored = read_index(index, corpus)
    assert stored.unusable is None and "new-article.yaml" in stored.entries
    assert stored.journaled == 1 and stored.folder_stat == "-"  # the folder is listed again
    assert stored.entries["new-article.yaml"].sha256 == catalogue.sha256_bytes(article.read_bytes())
    assert verify_catalogue(corpus, index).rehashed == 0  # the entry add wrote is the truth
    # folded into a new index by that start, and the journal removed
    assert not catalogue.journal_path(index).exists()
    assert read_index(index, corpus).entries["new-article.yaml"].doc_id == "new-article"
    # and the index it used refuses the same bytes again, without reading every sidecar
    again = CliRunner().invoke(main, [*args[:-1], "other-id"])
    assert again.exit_code == 2 and "the same bytes are already in the catalogue" in again.output
    # and an id already used, by a document the index lists (not the one just added)
    other = tmp_path / "other.txt"
    other.write_text("Police said 4,321 children were referred in 2020.\n", "utf-8")
    taken = CliRunner().invoke(main, ["add", str(other), "--raw", str(corpus), "--title", "Other",
                                      "--id", "synth-000017"])  # fmt: skip
    assert taken.exit_code == 2 and "--id 'synth-000017': already used by" in taken.output
    assert not (corpus / "documents/synth-000017.txt").read_bytes().startswith(b"Police")


@pytest.mark.pipeline
def test_a_tampered_byte_stops_the_pipeline_once_the_index_trusts_the_rest(tmp_path):
    """The pipeline end to end on a synthetic corpus: the first run writes the index (its files
    settled, so the next start trusts them by stat), then one raw byte among them changes with
    its size and modification time kept, and the next run stops before any job."""
    project = tmp_path / "project"
    from conftest import copy_project

    copy_project(project)
    synthesize(N, project / "corpus", ROOT / "data/raw", seed=4)
    time.sleep(2.5)  # past RACY_NS: the first start's index trusts every file from then on
    run_snakemake(project, "--config", "raw_dir=corpus", "--dry-run", check=True)
    quiet = run_snakemake(project, "--config", "raw_dir=corpus", "--dry-run", check=True)
    assert "verifying every document in full" not in quiet.stderr  # the index was used
    _same_stat_edit(project / "corpus/documents/synth-000023.txt", b"the", b"thE")
    proc = run_snakemake(project, "--config", "raw_dir=corpus")
    assert proc.returncode != 0
    assert "source documents failed verification" in proc.stderr
    assert "synth-000023.txt: sha256 is" in proc.stderr
    assert not (project / "data/processed").exists()  # nothing ran


def _add(corpus: Path, tmp_path: Path, doc_id: str, text: str) -> None:
    article = tmp_path / f"{doc_id}.txt"
    article.write_text(text, "utf-8")
    args = ["add", str(article), "--raw", str(corpus), "--title", doc_id, "--id", doc_id]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output


def test_a_torn_journal_line_is_ignored_and_its_document_verified_in_full(
    corpus, tmp_path, monkeypatch, settled
):
    """A killed `add` can leave its journal line cut short: the line fails its checksum, is
    skipped, and its document is verified in full like any the index does not list; the
    intact lines before it are still used."""
    monkeypatch.chdir(tmp_path)
    index = index_path(corpus, catalogue.INDEX_DIR)
    verify_catalogue(corpus, index)
    _add(corpus, tmp_path, "first-added", "Police said 1,234 children were referred in 2019.\n")
    _add(corpus, tmp_path, "second-added", "Police said 4,321 children were referred in 2020.\n")
    journal = catalogue.journal_path(index)
    text = journal.read_text("utf-8")
    assert text.count("\n") == 2
    journal.write_text(text[:-20], "utf-8")  # the second line cut short
    stored = read_index(index, corpus)
    assert stored.journaled == 1 and "first-added.yaml" in stored.entries
    assert "second-added.yaml" not in stored.entries
    verified = verify_catalogue(corpus, index)
    assert verified.rehashed == 1  # second-added only: first-added's entry was trusted
    assert {"first-added", "second-added"} <= set(verified.doc_ids)
    assert verify_catalogue(corpus, index).rehashed == 0


def test_a_journaled_document_edited_or_removed_before_the_start_is_caught(
    corpus, tmp_path, monkeypatch, settled
):
    """A journal entry is trusted only as an index entry is: by both stats. One document added
    then edited in place (size and mtime kept) is re-hashed and refused; one added then removed
    drops out of the catalogue."""
    monkeypatch.chdir(tmp_path)
    index = index_path(corpus, catalogue.INDEX_DIR)
    verify_catalogue(corpus, index)
    _add(corpus, tmp_path, "gone-again", "Police said 2,222 children were referred in 2018.\n")
    _add(corpus, tmp_path, "edited-after", "Police said 3,333 children were referred in 2017.\n")
    for suffix in (".txt", ".yaml"):
        (corpus / "documents" / f"gone-again{suffix}").unlink()
    assert "gone-again" in read_index(index, corpus).columns.fields["doc_id"]
    assert "gone-again" not in verify_catalogue(corpus, index).doc_ids
    _add(corpus, tmp_path, "edited-later", "Police said 4,444 children were referred in 2016.\n")
    _same_stat_edit(corpus / "documents/edited-later.txt", b"4,444", b"4,445")
    with pytest.raises(FigtraceError, match="edited-later.txt: sha256 is"):
        verify_catalogue(corpus, index)


def test_stats_shared_over_processes_are_the_stats_of_one(corpus, monkeypatch):
    """The stats a large start splits over forked processes are, in order, the ones one process
    takes, a missing file included (forced here at 40 documents)."""
    folder = str(corpus / "documents") + os.sep
    names = sorted(os.listdir(folder)) + ["no-such-file.txt"]
    one = catalogue._stats(folder, names)
    monkeypatch.setattr(catalogue, "FORK_STATS_FROM", 0)
    for workers in (2, 3):
        assert catalogue._stats_shared(folder, names, workers) == one
    assert one[-1] == "" and all(one[:-1])


def test_an_index_written_in_the_background_is_the_one_written_in_line(
    corpus, tmp_path, settled, capsys
):
    """The pipeline's start writes the index from a thread while Snakemake goes on, once released
    or when the main thread ends: the index is the same, the next start trusts it, and a write
    that fails is said, not raised."""
    inline, background = tmp_path / "inline.index", tmp_path / "background.index"
    verify_catalogue(corpus, inline)
    done = verify_catalogue(corpus, background, background=True)
    done.finish()
    # the same header and columns (marshal's bytes for equal lists can differ: it writes a
    # string that other objects also refer to as a reference, so equal files are not required)
    head = [path.read_bytes().split(b"\n", 1)[0].split(b"\t")[:5] for path in (inline, background)]
    assert head[0] == head[1]
    read = [read_index(path, corpus) for path in (inline, background)]
    assert read[0].columns.fields == read[1].columns.fields and read[1].unusable is None
    assert verify_catalogue(corpus, background).rehashed == 0
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder", "utf-8")
    failed = verify_catalogue(corpus, blocked / "x.index", background=True)
    failed.finish()
    assert failed.doc_ids == done.doc_ids
    assert "the catalogue index was not written" in capsys.readouterr().err


def test_the_background_index_waits_until_released(corpus, tmp_path, settled):
    """Snakemake's start releases the index thread at `onstart`, when its jobs run elsewhere:
    until then (or until the main thread ends) nothing is written."""
    index = tmp_path / "later.index"
    pending = verify_catalogue(corpus, index, background=True)
    assert pending.writing is not None and pending.writing.is_alive()
    pending.writing.join(0.3)
    assert pending.writing.is_alive() and not index.exists()
    pending.release()
    pending.writing.join(10)
    assert not pending.writing.is_alive() and read_index(index, corpus).unusable is None


def test_catalogue_files_are_derived_again_only_when_something_they_hold_changed(
    corpus, tmp_path, settled, monkeypatch
):
    """The catalogue and its shard parts each start writes: a start with the same documents,
    shard count and annotated documents, whose files stat as they were left, derives nothing;
    any other start derives them (and restores a part edited by hand)."""
    from figtrace.shards import plan

    verified = verify_catalogue(corpus, tmp_path / "i.index")
    folder = tmp_path / "derived"
    derived: list[int] = []
    real = catalogue.Verified.fingerprint_lines

    def counting(self):
        derived.append(1)
        return real(self)

    monkeypatch.setattr(catalogue.Verified, "fingerprint_lines", counting)
    whole, parts = catalogue.write_catalogue_files(verified, 2, ["synth-000001"], folder)
    # each line as documents.fingerprint_line writes one document's
    lines = {entry.doc_id: fingerprint_line(entry) for entry in verified.entries}
    assert whole.read_text("utf-8") == "".join(lines[d] for d in sorted(lines))
    planned = plan(verified.doc_ids, 2, ["synth-000001"])
    assert {s: p.read_text("utf-8") for s, p in parts.items()} == {
        s: "".join(lines[d] for d in ids) for s, ids in planned.items()
    }
    assert derived == [1]
    assert catalogue.write_catalogue_files(verified, 2, ["synth-000001"], folder) == (whole, parts)
    assert derived == [1]  # nothing changed: not derived again

    kept = parts["0"].read_text("utf-8")
    parts["0"].write_text("edited by hand\n", "utf-8")
    catalogue.write_catalogue_files(verified, 2, ["synth-000001"], folder)
    assert derived == [1, 1] and parts["0"].read_text("utf-8") == kept
    catalogue.write_catalogue_files(verified, 2, [], folder)  # another annotated set
    catalogue.write_catalogue_files(verified, 3, [], folder)  # another shard count
    assert derived == [1, 1, 1, 1]
    verified.columns.fields["sha256"][0] = "0" * 64  # another document's bytes
    catalogue.write_catalogue_files(verified, 3, [], folder)
    assert derived == [1, 1, 1, 1, 1] and "0" * 64 in whole.read_text("utf-8")
    catalogue.write_catalogue_files(verified, 3, [], folder)
    assert len(derived) == 5


def test_catalogue_files_written_a_moment_ago_are_derived_again(corpus, tmp_path, monkeypatch):
    """A file younger than RACY_NS is not trusted by its stat: the state does not record it, so
    the next start derives the files again."""
    verified = verify_catalogue(corpus, tmp_path / "i.index")
    derived: list[int] = []
    real = catalogue.Verified.fingerprint_lines
    monkeypatch.setattr(
        catalogue.Verified, "fingerprint_lines", lambda self: derived.append(1) or real(self)
    )
    for _ in range(2):
        catalogue.write_catalogue_files(verified, 2, [], tmp_path / "derived")
    assert derived == [1, 1]
    assert "-\tcatalogue.tsv" in (tmp_path / "derived/catalogue-files.state").read_text("utf-8")


def test_an_index_of_the_text_format_is_removed_once_the_new_one_is_written(tmp_path):
    corpus = tmp_path / "raw"
    synthesize(3, corpus, ROOT / "data/raw", seed=2)
    index = index_path(corpus, tmp_path / "index")
    index.parent.mkdir(parents=True)
    legacy = index.with_suffix(".tsv")
    legacy.write_text("# figtrace catalogue index 2\n", "utf-8")
    catalogue.journal_path(legacy).write_text("", "utf-8")
    other = index.with_name("another-folder-0123456789abcdef.tsv")
    other.write_text("# figtrace catalogue index 2\n", "utf-8")
    verify_catalogue(corpus, index)
    assert index.is_file()
    assert not legacy.exists() and not catalogue.journal_path(legacy).exists()
    assert other.is_file()  # another raw folder's is not this one's to remove
