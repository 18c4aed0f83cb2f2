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

from figtrace.documents import load_catalogue, sidecar_paths
from figtrace.errors import FigtraceError

try:
    DOCUMENTS = load_catalogue(Path(RAW))
except FigtraceError as exc:
    raise WorkflowError(f"source documents failed verification:\n{exc}") from None

DOC_IDS = [doc.doc_id for doc in DOCUMENTS]
RAW_FILES = sorted(str(doc.path) for doc in DOCUMENTS)
SIDECARS = [str(p) for p in sidecar_paths(Path(RAW))]
ENV = "../../envs/figtrace.yaml"


# The package modules a rule runs, as inputs: editing one re-runs the rules that use it.
code = lambda *modules: [f"src/figtrace/{name}.py" for name in modules]
