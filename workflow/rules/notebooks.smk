# Stage 4: the notebooks in notebooks/ (Jupytext .py, no outputs kept), executed with papermill
# and rendered to offline HTML. A failing cell (e.g. a re-derived value that disagrees with the
# ledger) fails the build; the executed copy is kept in logs/notebooks/ for debugging.
# The notebooks read the ledger and the annotated documents' tables (the ledger shard), never the
# whole corpus: adding an unannotated document does not re-run them.
NOTEBOOK_INPUTS = {
    "explore": [
        f"{LEDGER_CORPUS}/documents.parquet",
        f"{LEDGER_CORPUS}/mentions.parquet",
        f"{PROCESSED}/figures.parquet",
        f"{PROCESSED}/exclusions.parquet",
        f"{PROCESSED}/derived.parquet",
        f"{PROCESSED}/checks.parquet",
        f"{RAW}/derived.yaml",
        f"{RAW}/checks.yaml",
        f"{RAW}/reports.yaml",
    ],
    "provenance": [
        f"{LEDGER_CORPUS}/documents.parquet",
        f"{LEDGER_CORPUS}/mentions.parquet",
        f"{PROCESSED}/figures.parquet",
        f"{PROCESSED}/derived.parquet",
        f"{RAW}/reports.yaml",
        f"{RAW}/indicators.yaml",
        # changes whenever an annotated document's raw bytes or sidecar do (see common.smk)
        shard_catalogue(LEDGER),
    ],
}
NOTEBOOKS = sorted(NOTEBOOK_INPUTS)
# -p NAME VALUE for each notebook: the data paths, then its own parameters. The provenance
# notebook traces `provenance_figure` from the config (`snakemake --config provenance_figure=ID`).
NOTEBOOK_PARAMETERS = {
    name: {"processed_dir": PROCESSED, "corpus_dir": LEDGER_CORPUS, "raw_dir": RAW}
    for name in NOTEBOOKS
}
if "provenance_figure" in config:
    NOTEBOOK_PARAMETERS["provenance"]["figure_id"] = config["provenance_figure"]


rule notebook:
    input:
        notebook="notebooks/{name}.py",
        tables=lambda wildcards: NOTEBOOK_INPUTS[wildcards.name],
        code=code("notebooks", "provenance", "coverage"),
    output:
        ipynb=f"{RESULTS}/notebooks/{{name}}.ipynb",
        html=f"{RESULTS}/notebooks/{{name}}.html",
    log:
        "logs/notebooks/{name}.log",
    wildcard_constraints:
        name="|".join(NOTEBOOKS),
    conda:
        ENV
    # Measured: 2.3-2.6 s per notebook and about 350 MB with its kernel; scales with the ledger.
    threads: 1
    resources:
        mem_mb=1500,
        runtime=10,
    params:
        parameters=lambda wildcards: " ".join(
            f"-p {name} {shlex.quote(str(value))}"
            for name, value in NOTEBOOK_PARAMETERS[wildcards.name].items()
        ),
        failed="logs/notebooks/{name}.failed.ipynb",
    shell:
        "python -m figtrace notebook {input.notebook} --out {output.ipynb}"
        " --html {output.html} {params.parameters} --failed-copy {params.failed}"
        " 2>&1 | tee {log}"
