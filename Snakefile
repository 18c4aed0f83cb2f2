# figtrace: every number traced to its exact passage in hashed source bytes.
# The rules live in workflow/rules/, one file per stage, in data-flow order.
import sys

# Before the config is validated: keeps jsonschema from importing rfc3987_syntax, which costs
# ~0.8 s at every invocation (see src/figtrace/registries.py).
sys.modules.setdefault("rfc3987_syntax", None)

from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config/config.yaml"


validate(config, "workflow/schemas/config.schema.yaml")


include: "workflow/rules/common.smk"
include: "workflow/rules/documents.smk"
include: "workflow/rules/manifest.smk"


rule all:
    default_target: True
    input:
        f"{PROCESSED}/documents.parquet",
        MANIFEST,
