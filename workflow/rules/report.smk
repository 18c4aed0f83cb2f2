# Stage 4: the summary report (every number a link to its provenance entry), one source viewer
# per document, and the audit that reads the rendered report back. The charts section is
# driven by results/charts/index.json when the charts stage is part of the workflow.
CHARTS_INDEX = (
    [f"{RESULTS}/charts/index.json"]
    if Path(ROOT, "workflow/rules/charts.smk").is_file()
    else []
)
LEDGER_TABLES = [
    f"{PROCESSED}/{name}.parquet"
    for name in (
        "documents",
        "text",
        "mentions",
        "figures",
        "exclusions",
        "derived",
        "checks",
    )
]


rule report:
    input:
        tables=LEDGER_TABLES,
        reports=f"{RAW}/reports.yaml",
        indicators=f"{RAW}/indicators.yaml",
        charts=CHARTS_INDEX,
    output:
        html=report(
            f"{RESULTS}/report.html",
            caption="../report/report.rst",
            category="Summary",
        ),
        md=f"{RESULTS}/report.md",
    log:
        "logs/report.log",
    conda:
        ENV
    params:
        processed=lambda w, input: Path(input.tables[0]).parent,
        raw=lambda w, input: Path(input.reports).parent,
        charts=lambda w, output: Path(output.html).parent / "charts" / "index.json",
    shell:
        "python -m figtrace report --processed {params.processed} --raw {params.raw}"
        " --charts {params.charts} --html {output.html} --md {output.md} > {log} 2>&1"


rule sources:
    input:
        tables=LEDGER_TABLES,
        reports=f"{RAW}/reports.yaml",
        indicators=f"{RAW}/indicators.yaml",
    output:
        expand(f"{RESULTS}/sources/{{doc_id}}.html", doc_id=DOC_IDS),
    log:
        "logs/sources.log",
    conda:
        ENV
    params:
        processed=lambda w, input: Path(input.tables[0]).parent,
        raw=lambda w, input: Path(input.reports).parent,
        out=lambda w, output: Path(output[0]).parent,
    shell:
        "python -m figtrace sources --processed {params.processed} --raw {params.raw}"
        " --out {params.out} > {log} 2>&1"


rule audit:
    input:
        report=f"{RESULTS}/report.html",
        sources=expand(f"{RESULTS}/sources/{{doc_id}}.html", doc_id=DOC_IDS),
        tables=LEDGER_TABLES,
        reports=f"{RAW}/reports.yaml",
    output:
        f"{RESULTS}/audit.json",
    log:
        "logs/audit.log",
    conda:
        ENV
    params:
        processed=lambda w, input: Path(input.tables[0]).parent,
        raw=lambda w, input: Path(input.reports).parent,
    shell:
        "python -m figtrace audit --report {input.report} --processed {params.processed}"
        " --raw {params.raw} --out {output} 2>&1 | tee {log}; exit ${{PIPESTATUS[0]}}"
