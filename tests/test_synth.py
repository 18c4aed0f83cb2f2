"""Synthetic corpora: deterministic for a seed, valid for the pipeline, never written into data/raw."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, run_cli
from figtrace.documents import date_precision, load_catalogue
from figtrace.errors import FigtraceError
from figtrace.synth import synthesize

RAW = ROOT / "data" / "raw"


def tree(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        synthesize(40, tmp_path / name, RAW, seed=seed)
    a, b, c = (tree(tmp_path / name) for name in "abc")
    assert a == b
    real = tree(RAW)  # the real documents, registries and annotations come along unchanged
    assert len(a) == 2 * 40 + len(real)
    assert {k: a[k] for k in real} == real
    assert a.keys() == c.keys()
    assert a != c
    docs_a = {k: v for k, v in a.items() if k.endswith(".txt") and k not in real}
    docs_c = {k: v for k, v in c.items() if k.endswith(".txt") and k not in real}
    assert all(docs_a[k] != docs_c[k] for k in docs_a)


def test_output_passes_the_catalogue_checks_and_copies_the_registry(tmp_path):
    synthesize(60, tmp_path / "corpus", RAW, seed=1)
    real = {d.doc_id for d in load_catalogue(RAW)}
    docs = [d for d in load_catalogue(tmp_path / "corpus") if d.doc_id not in real]
    assert len(docs) == 60
    assert (tmp_path / "corpus/reports.yaml").read_bytes() == (RAW / "reports.yaml").read_bytes()
    for doc in docs:
        assert date_precision(doc.date_published) == doc.date_precision
        if doc.date_precision == "day":
            y, m, d = doc.date_published.split("-")
            assert f" {int(d)} " in doc.text().splitlines()[0]
    assert len({doc.sha256 for doc in docs}) == 60


def test_text_is_recombined_real_prose_with_redrawn_numbers(tmp_path):
    synthesize(30, tmp_path / "corpus", RAW, seed=2)
    real = "\n".join(d.text() for d in load_catalogue(RAW))
    texts = [d.text() for d in load_catalogue(tmp_path / "corpus") if d.doc_id.startswith("synth-")]
    corpus = "\n".join(texts)
    # real words and furniture, new numbers
    assert "trafficked" in corpus and "Hide Ad" in corpus
    assert any(text not in real for text in texts)
    numbers_real = {"2,118", "1,060", "609", "677"}
    assert sum(n in corpus for n in numbers_real) < len(numbers_real)


@pytest.mark.parametrize("inside", [".", "documents", "sub/folder"])
def test_refuses_to_write_into_the_raw_data(tmp_path, inside):
    raw = Path(shutil.copytree(RAW, tmp_path / "raw"))
    before = tree(raw)
    with pytest.raises(FigtraceError, match="refusing to write synthetic documents into"):
        synthesize(3, raw / inside, raw, force=True)
    with pytest.raises(FigtraceError, match="into or over the raw data"):
        synthesize(3, tmp_path, raw, force=True)
    assert tree(raw) == before


def test_cli_refuses_the_real_data_raw_and_a_non_empty_folder(tmp_path):
    before = tree(RAW)
    proc = run_cli(ROOT, "synth", "--n", "2", "--out", str(RAW / ".." / "raw"), "--force")
    assert proc.returncode == 2
    assert "refusing to write synthetic documents" in proc.stderr
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy/keep.txt").write_text("mine", "utf-8")
    proc = run_cli(ROOT, "synth", "--n", "2", "--out", str(tmp_path / "busy"))
    assert proc.returncode == 2
    assert "not empty" in proc.stderr
    proc = run_cli(ROOT, "synth", "--n", "2", "--out", str(tmp_path / "busy"), "--force")
    assert proc.returncode == 0, proc.stderr
    assert "synth: 2 documents" in proc.stdout
    assert (tmp_path / "busy/keep.txt").read_text("utf-8") == "mine"
    assert len(load_catalogue(tmp_path / "busy")) == 2 + len(load_catalogue(RAW))
    assert tree(RAW) == before


def test_sidecars_are_plain_yaml_with_the_pinned_hash(tmp_path):
    synthesize(5, tmp_path / "c", RAW, seed=3)
    for sidecar in sorted((tmp_path / "c/documents").glob("*.yaml")):
        meta = yaml.safe_load(sidecar.read_text("utf-8"))
        raw = sidecar.with_suffix(".txt")
        assert meta["sha256"] == hashlib.sha256(raw.read_bytes()).hexdigest()
        assert meta["doc_id"] == sidecar.stem
