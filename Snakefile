# figtrace: every number traced to its exact passage in hashed source bytes.
# The rules live in workflow/rules/, one file per stage, in data-flow order.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


# First: the settings checked against workflow/schemas/config.schema.yaml, then the catalogue.
include: "workflow/rules/common.smk"
include: "workflow/rules/text.smk"
include: "workflow/rules/mentions.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/charts.smk"
include: "workflow/rules/notebooks.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/manifest.smk"


# Reports not in the corpus: say how to bring them in (nothing is downloaded at run time).
onstart:
    for line in ABSENT_REPORTS:
        print(f"figtrace: {line}")
    # the catalogue index, if it changed, is written while the jobs run (common.smk)
    _VERIFIED.release()


# A run ends when its last job does (see end_run_promptly in common.smk).
onsuccess:
    end_run_promptly()


onerror:
    end_run_promptly()


# The corpus-wide tables the gathers write (text.smk, mentions.smk); with the corpus tables as a
# dataset over the shards they are not default targets, but can still be asked for by name.
GATHERED = [f"{PROCESSED}/{name}.parquet" for name in [*TEXT_TABLES, "mentions"]]


# Targets that only collect other outputs run where Snakemake runs, never as cluster jobs.
localrules:
    all,


rule all:
    default_target: True
    input:
        # the corpus-wide tables as one file each, or a dataset over the shards (common.smk)
        GATHERED if CORPUS_FILES else [],
        f"{PROCESSED}/figures.parquet",
        f"{PROCESSED}/derived.parquet",
        f"{PROCESSED}/checks.parquet",
        f"{PROCESSED}/coverage.parquet",
        f"{PROCESSED}/datapackage.json",
        rules.charts.output,
        expand(
            f"{RESULTS}/notebooks/{{name}}.{{ext}}",
            name=NOTEBOOKS,
            ext=["ipynb", "html"],
        ),
        f"{RESULTS}/report.html",
        f"{RESULTS}/report.md",
        f"{RESULTS}/audit.json",
        VIEWER_INDEXES,
        MANIFEST,
