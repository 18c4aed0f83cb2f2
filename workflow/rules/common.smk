# Shared settings, and the document catalogue verified before any job runs, so a changed
# byte or a bad sidecar stops the run before Snakemake touches an existing output.
import shlex
import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.settings.types import DeploymentMethod

ROOT = Path(workflow.basedir)
RAW = config["raw_dir"]
PROCESSED = config["processed_dir"]
RESULTS = config["results_dir"]

# Jobs run `python -m figtrace` from this checkout's src/, locally or on a cluster node.
# Without --software-deployment-method conda, `python` is the interpreter running Snakemake.
_prefix = f"export PYTHONPATH={shlex.quote(str(ROOT / 'src'))}; "
if DeploymentMethod.CONDA not in workflow.deployment_settings.deployment_method:
    _prefix += f'export PATH={shlex.quote(str(Path(sys.executable).parent))}:"$PATH"; '
shell.prefix(_prefix)
sys.path.insert(0, str(ROOT / "src"))

from figtrace.documents import SIDECAR_MEMO, fingerprint, load_catalogue, sidecar_paths
from figtrace.errors import FigtraceError
from figtrace.registries import load_yaml
from figtrace.outputs import write_text_if_changed
from figtrace.shards import assign

try:
    DOCUMENTS = load_catalogue(Path(RAW), memo=Path(SIDECAR_MEMO))
except FigtraceError as exc:
    raise WorkflowError(f"source documents failed verification:\n{exc}") from None

DOC_IDS = [doc.doc_id for doc in DOCUMENTS]
# The verified catalogue as one small file (doc_id, raw sha256, sidecar sha256 per line), rewritten
# only when it changes: a rule that needs every document depends on it instead of on thousands of
# raw files, which would cost Snakemake time per file at every run (see figtrace.documents).
CATALOGUE = str(
    write_text_if_changed(".snakemake/figtrace/catalogue.tsv", fingerprint(DOCUMENTS))
)
RAW_FILES = sorted(str(doc.path) for doc in DOCUMENTS)
SIDECARS = [str(p) for p in sidecar_paths(Path(RAW))]
ENV = "../../envs/figtrace.yaml"


# Package modules as inputs of the rules that run them, so that editing one re-runs them.
code = lambda *modules: [f"src/figtrace/{name}.py" for name in modules]
# Batching: stages that work per document run one job per shard, not one per document
# (Snakemake's per-job cost would dominate at thousands of documents). A document's shard
# depends only on its doc_id (figtrace.shards), so adding one document re-runs one shard.
SHARDS = config["shards"]
SHARD_IDS = list(range(SHARDS))
_BY_ID = {doc.doc_id: doc for doc in DOCUMENTS}
SHARD_DOCS = assign(DOC_IDS, SHARDS)
SHARD_CATALOGUES = [
    str(
        write_text_if_changed(
            f".snakemake/figtrace/shards/{SHARDS}/{shard}.tsv",
            fingerprint([_BY_ID[doc_id] for doc_id in SHARD_DOCS[shard]]),
        )
    )
    for shard in SHARD_IDS
]


def shard_inputs(shard):
    """The raw files and sidecars of one shard's documents (an input function's dict)."""
    docs = [_BY_ID[doc_id] for doc_id in SHARD_DOCS[int(shard)]]
    return {
        "raw": [str(doc.path) for doc in docs],
        "sidecars": [str(doc.sidecar) for doc in docs],
    }


def shard_catalogue(shard):
    """One shard's catalogue file: changes only when that shard's documents do (cheap input)."""
    return SHARD_CATALOGUES[int(shard)]
