# Stage 4: charts drawn from the figure ledger only (definitions select ledger ids), each with
# PNG/SVG/PDF, a CSV of the values plotted, a JSON sidecar of their sources, and a gallery page.
from figtrace.charts import FORMATS, chart_ids

CHART_DEFINITIONS = "workflow/charts.yaml"
CHART_STYLE = "workflow/figtrace.mplstyle"
CHARTS = chart_ids(Path(CHART_DEFINITIONS))


rule charts:
    input:
        definitions=CHART_DEFINITIONS,
        style=CHART_STYLE,
        figures=f"{PROCESSED}/figures.parquet",
        derived=f"{PROCESSED}/derived.parquet",
        checks=f"{PROCESSED}/checks.parquet",
        documents=f"{PROCESSED}/documents.parquet",
        reports=f"{RAW}/reports.yaml",
        indicators=f"{RAW}/indicators.yaml",
        code=[
            "src/figtrace/charts.py",
            "src/figtrace/provenance.py",
            "src/figtrace/templates/charts_gallery.html.j2",
        ],
    output:
        files=expand(f"{RESULTS}/charts/{{chart}}.{{ext}}", chart=CHARTS, ext=FORMATS),
        index=f"{RESULTS}/charts/index.json",
        gallery=f"{RESULTS}/charts/index.html",
    log:
        "logs/charts.log",
    conda:
        ENV
    params:
        raw=lambda w, input: Path(input.reports).parent,
        processed=lambda w, input: Path(input.figures).parent,
        out=lambda w, output: Path(output.index).parent,
    shell:
        "python -m figtrace charts --definitions {input.definitions} --style {input.style}"
        " --processed {params.processed} --raw {params.raw} --out {params.out}"
        " > {log} 2>&1"
