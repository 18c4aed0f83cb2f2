# Stage 4: charts drawn from the figure ledger only (definitions select ledger ids), each with
# PNG/SVG/PDF, a CSV of the values plotted, a JSON sidecar of their sources, and a gallery page.
# Chart ids come from the definitions file, read here without importing figtrace.charts
# (matplotlib and pandas would slow every Snakemake start); tests keep the formats in step.
CHART_DEFINITIONS = "workflow/charts.yaml"
CHART_STYLE = "workflow/figtrace.mplstyle"
CHARTS = [chart["chart_id"] for chart in load_yaml(Path(CHART_DEFINITIONS))["charts"]]
CHART_FORMATS = ["png", "svg", "pdf", "csv", "json"]


rule charts:
    input:
        definitions=CHART_DEFINITIONS,
        style=CHART_STYLE,
        figures=f"{PROCESSED}/figures.parquet",
        derived=f"{PROCESSED}/derived.parquet",
        checks=f"{PROCESSED}/checks.parquet",
        documents=f"{LEDGER_CORPUS}/documents.parquet",
        reports=f"{RAW}/reports.yaml",
        indicators=f"{RAW}/indicators.yaml",
        code=code("charts", "rendering", "provenance"),
        template="src/figtrace/templates/charts_gallery.html.j2",
    output:
        files=expand(
            f"{RESULTS}/charts/{{chart}}.{{ext}}",
            chart=CHARTS,
            ext=[ext for ext in CHART_FORMATS if ext != "png"],
        ),
        # the PNGs go into Snakemake's own report (`snakemake --report`) with a caption
        pngs=report(
            expand(f"{RESULTS}/charts/{{chart}}.png", chart=CHARTS),
            caption="../report/charts.rst",
            category="Charts",
        ),
        index=f"{RESULTS}/charts/index.json",
        gallery=f"{RESULTS}/charts/index.html",
    log:
        "logs/charts.log",
    # Measured on the five documents: 7.3 s, about 250 MB (matplotlib); it scales with the
    # ledger, not the corpus.
    # the longest job on a cold run's longest path (checks, charts, report, audit): start it
    # before the notebooks, viewers and datapackage that are ready at the same time
    priority: 5
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        raw=lambda w, input: Path(input.reports).parent,
        processed=lambda w, input: Path(input.figures).parent,
        corpus=lambda w, input: Path(input.documents).parent,
        out=lambda w, output: Path(output.index).parent,
    shell:
        "python -m figtrace charts --definitions {input.definitions} --style {input.style}"
        " --processed {params.processed} --corpus {params.corpus} --raw {params.raw}"
        " --out {params.out}"
        " > {log} 2>&1"
