# Shared settings, and the document catalogue verified before any job runs, so a changed
# byte or a bad sidecar stops the run before Snakemake touches an existing output.
import gc
import shlex
import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.persistence import PersistenceBase
from snakemake.settings.types import DeploymentMethod
from snakemake.utils import validate

# Snakemake 9 records each job's params through a serialiser that imports pandas whenever pandas
# is installed (PersistenceBase._serialize_param), about 0.5 s at every start. No param here is a
# pandas object, for which alone that serialiser differs from the built-in one: use the latter.
if hasattr(PersistenceBase, "_serialize_param_builtin"):
    PersistenceBase._serialize_param = property(
        lambda self: self._serialize_param_builtin
    )

ROOT = Path(workflow.basedir)

# Jobs run `python -m figtrace` from this checkout's src/, locally or on a cluster node.
# Without --software-deployment-method conda, `python` is the interpreter running Snakemake.
# Snakemake's own prefix, which shell.prefix replaces, comes first: without pipefail a rule's
# `command | tee {log}` took tee's success for the job's, and a failed job was reported as
# missing outputs ("filesystem latency") after a 5 s wait.
_prefix = "set -euo pipefail; "
_prefix += f"export PYTHONPATH={shlex.quote(str(ROOT / 'src'))}; "
if DeploymentMethod.CONDA not in workflow.deployment_settings.deployment_method:
    _prefix += f'export PATH={shlex.quote(str(Path(sys.executable).parent))}:"$PATH"; '
shell.prefix(_prefix)
sys.path.insert(0, str(ROOT / "src"))

# Python compiles each module it imports, and with PYTHONDONTWRITEBYTECODE set (as in many
# containers and CI machines) it keeps nothing, so every job compiled the package again (0.17 s a
# job). Compiled here when a module changed; a few milliseconds when none did.
import compileall

try:
    compileall.compile_dir(ROOT / "src" / "figtrace", quiet=2)
except OSError:  # a read-only checkout: jobs compile what they import, as before
    pass

from figtrace.settings import settings_pass

# Checked as Snakemake's `validate` would, without its 0.13 s import of jsonschema; settings the
# fast check rejects go to `validate` itself, whose message names what is wrong.
_SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"
if not settings_pass(config, _SCHEMA):
    # Keeps jsonschema from importing rfc3987_syntax: ~0.8 s (see src/figtrace/registries.py).
    sys.modules.setdefault("rfc3987_syntax", None)
    validate(config, str(_SCHEMA))
RAW = config["raw_dir"]
PROCESSED = config["processed_dir"]
RESULTS = config["results_dir"]

from figtrace.catalogue import index_path, verify_catalogue, write_catalogue_files
from figtrace.errors import FigtraceError
from figtrace.registries import load_yaml
from figtrace.outputs import write_text_if_changed
from figtrace.shards import LEDGER, corpus_files, shard_count, shard_ids


def _start_workers():
    """How many processes may share a full verification at the start: --cores (no job runs yet)."""
    try:
        return int(workflow.cores)
    except (WorkflowError, TypeError, ValueError):
        return 1


# Verified by stat against the catalogue index; a changed, new or racy file is re-hashed in full
# (figtrace.catalogue), and without a usable index every document is.
try:
    _VERIFIED = verify_catalogue(
        Path(RAW), index_path(Path(RAW)), workers=_start_workers(), background=True
    )
except FigtraceError as exc:
    raise WorkflowError(f"source documents failed verification:\n{exc}") from None
if _VERIFIED.note:
    print(f"figtrace: {_VERIFIED.note}", file=sys.stderr)
# Read as columns: at 100,000 documents an object per document would cost a start 0.5 s.
DOC_IDS = _VERIFIED.doc_ids
ENV = "../../envs/figtrace.yaml"

# The original reports in the corpus (fetched with `figtrace fetch`), as a small file the
# against-report checks depend on: it changes when a report arrives or leaves, and only then.
from figtrace.registries import load_reports
from figtrace.reports import absent_reports, report_documents_text

REPORT_DOCUMENTS = str(
    write_text_if_changed(
        ".snakemake/figtrace/report_documents.tsv",
        report_documents_text(_VERIFIED.reports()),
    )
)
# Reports not in the corpus, and the command that brings each in (printed at the start).
ABSENT_REPORTS = absent_reports(
    load_reports(Path(RAW, "reports.yaml")), _VERIFIED.reports()
)


# Package modules as inputs of the rules that run them, with every package module they import
# (figtrace.codebase), so that editing one re-runs them.
from figtrace.codebase import closure

code = lambda *modules: [
    f"src/figtrace/{name}.py" for name in closure(modules, ROOT / "src" / "figtrace")
]
# Batching: stages that work per document run one job per shard, not one per document
# (Snakemake's per-job cost would dominate at thousands of documents). A document's shard
# depends only on its doc_id (figtrace.shards), so adding one document re-runs one shard.
# Documents with an annotation file form the `ledger` shard: the ledger's stages read only its
# tables, so they do not re-run when a document nobody has annotated yet is added.
SHARDS = shard_count(config["shards"], len(DOC_IDS))
# Whether the corpus-wide tables are gathered into one file each, or stay a dataset over the
# shards (config corpus_tables; at 100,000 documents rewriting them cost more than a change).
CORPUS_FILES = corpus_files(config.get("corpus_tables", "auto"), len(DOC_IDS))
SHARD_IDS = shard_ids(SHARDS)
ANNOTATIONS = sorted(str(p) for p in Path(RAW, "annotations").glob("*.yaml"))
ANNOTATED = [Path(p).stem for p in ANNOTATIONS]
# The verified catalogue as one small file (doc_id, raw sha256, sidecar sha256 per line), and each
# shard's part of it, rewritten only when they change: a rule that needs every document depends
# on the first instead of on thousands of raw files, which would cost Snakemake time per file at
# every run (see figtrace.documents), and a shard's job on its part.
_CATALOGUE, _PARTS = write_catalogue_files(
    _VERIFIED, SHARDS, ANNOTATED, Path(".snakemake/figtrace")
)
CATALOGUE = str(_CATALOGUE)
SHARD_CATALOGUES = {shard: str(path) for shard, path in _PARTS.items()}
# The ledger shard's tables: everything the ledger's stages read about documents.
LEDGER_CORPUS = f"{PROCESSED}/shards/{LEDGER}"


def shard_catalogue(shard):
    """One shard's catalogue file: changes only when that shard's documents do (cheap input)."""
    return SHARD_CATALOGUES[shard]


# The catalogue lives as long as Snakemake does: keep the garbage collector from walking its
# objects again and again, and above all at exit, where that took 0.5 s at 10,000 documents.
gc.freeze()

# A numbered shard's id in a path (the ledger shard's is `ledger`).
NUMBERED = r"\d+"

# The templates the source viewers and the report are rendered with (report.smk, text.smk).
REPORT_TEMPLATES = [
    f"src/figtrace/templates/{name}"
    for name in (
        "_macros.j2",
        "report.css",
        "report.html.j2",
        "report.md.j2",
        "source.html.j2",
    )
]


def end_run_promptly():
    """At onsuccess/onerror, spare the run's end two waits that do no work (measured on 10,000
    documents: about 1 s and 0.5 s).

    Snakemake 9's job-rate limiter wakes its scheduler with a threading.Timer of one timespan
    (1 s) after each round, and the timer is not a daemon thread, so Python waits for the last
    one at exit; the scheduler has stopped, nothing waits on those timers, so they are
    cancelled (other timers are left alone). And the objects the run built are frozen
    (gc.freeze), so that Python's last garbage collection does not walk them all once more.
    """
    import threading

    for thread in threading.enumerate():
        if isinstance(thread, threading.Timer) and "JobScheduler" in getattr(
            thread.function, "__qualname__", ""
        ):
            thread.cancel()
    gc.freeze()
