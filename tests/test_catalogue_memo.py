"""The catalogue at scale: a warm sidecar memo catches exactly what a cold load does, and the
catalogue file that rules depend on changes exactly when the documents do."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import ROOT, run_snakemake
from figtrace.documents import fingerprint, load_catalogue
from figtrace.errors import FigtraceError
from figtrace.outputs import write_text_if_changed
from figtrace.synth import synthesize

REAL = len(load_catalogue(ROOT / "data/raw"))  # a synthetic corpus carries the real documents
SIZE = 20 + REAL


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    synthesize(20, tmp_path / "corpus", ROOT / "data/raw", seed=5)
    return tmp_path / "corpus"


def _same_stat_edit(path: Path, old: bytes, new: bytes) -> None:
    """Replace bytes without changing the size or the modification time."""
    assert len(old) == len(new)
    stat = path.stat()
    data = path.read_bytes()
    assert old in data
    path.write_bytes(data.replace(old, new, 1))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size


def test_warm_memo_loads_the_same_catalogue(corpus, tmp_path):
    memo = tmp_path / "memo.json"
    cold = load_catalogue(corpus)
    first = load_catalogue(corpus, memo=memo)
    warm = load_catalogue(corpus, memo=memo)
    assert cold == first == warm
    assert [d.meta for d in cold] == [d.meta for d in warm]
    assert len(json.loads(memo.read_text("utf-8"))["sidecars"]) == SIZE


def test_changed_raw_byte_is_caught_with_a_warm_memo(corpus, tmp_path):
    memo = tmp_path / "memo.json"
    load_catalogue(corpus, memo=memo)
    raw = corpus / "documents/synth-000007.txt"
    _same_stat_edit(raw, b"the", b"thE")
    with pytest.raises(FigtraceError, match="synth-000007.txt: sha256 is .* the raw bytes changed"):
        load_catalogue(corpus, memo=memo)


def test_changed_sidecar_byte_is_caught_with_a_warm_memo(corpus, tmp_path):
    memo = tmp_path / "memo.json"
    load_catalogue(corpus, memo=memo)
    sidecar = corpus / "documents/synth-000003.yaml"
    _same_stat_edit(sidecar, b"language: en", b"language: EN")
    with pytest.raises(
        FigtraceError, match=r"synth-000003.yaml: does not match the document schema"
    ):
        load_catalogue(corpus, memo=memo)


def test_memo_keeps_only_the_current_sidecars_and_survives_corruption(corpus, tmp_path):
    memo = tmp_path / "memo.json"
    load_catalogue(corpus, memo=memo)
    for suffix in (".txt", ".yaml"):
        (corpus / f"documents/synth-000001{suffix}").unlink()
    assert len(load_catalogue(corpus, memo=memo)) == SIZE - 1
    assert len(json.loads(memo.read_text("utf-8"))["sidecars"]) == SIZE - 1
    memo.write_text("{not json", "utf-8")
    assert len(load_catalogue(corpus, memo=memo)) == SIZE - 1
    assert len(json.loads(memo.read_text("utf-8"))["sidecars"]) == SIZE - 1


def test_catalogue_fingerprint_changes_only_with_the_documents(corpus, tmp_path):
    docs = load_catalogue(corpus)
    text = fingerprint(docs)
    assert text == fingerprint(list(reversed(docs)))
    assert len(text.splitlines()) == SIZE
    target = tmp_path / "catalogue.tsv"
    write_text_if_changed(target, text)
    os.utime(target, ns=(1, 1))
    write_text_if_changed(target, text)
    assert target.stat().st_mtime_ns == 1  # unchanged: Snakemake sees nothing new
    sidecar = corpus / "documents/synth-000004.yaml"
    sidecar.write_text(sidecar.read_text("utf-8").replace("language: en", "language: fr"), "utf-8")
    changed = fingerprint(load_catalogue(corpus))
    differs = [
        a.split()[0] for a, b in zip(text.splitlines(), changed.splitlines(), strict=True) if a != b
    ]
    assert differs == ["synth-000004"]
    write_text_if_changed(target, changed)
    assert target.read_text("utf-8") == changed


def test_editing_a_sidecar_reruns_the_catalogue(project):
    run_snakemake(project, check=True)
    sidecar = project / "data/raw/documents/merseyside-before-the-harm.yaml"
    meta = yaml.safe_load(sidecar.read_text("utf-8"))
    meta["title"] = "An edited headline"
    sidecar.write_text(yaml.safe_dump(meta, sort_keys=False, allow_unicode=True), "utf-8")
    proc = run_snakemake(project, check=True)
    assert "text_shard" in proc.stderr
    table = pd.read_parquet(project / "data/processed/documents.parquet")
    assert "An edited headline" in set(table.title)
    again = run_snakemake(project, "--dry-run", check=True)
    assert "Nothing to be done" in again.stdout + again.stderr
