# Stage 5: the summary report (every number a link to its provenance entry), one source viewer
# per document, and the audit that reads the rendered report back. The charts section is
# driven by results/charts/index.json (rule charts).
# Measured on the five documents: each job about 2 s and under 200 MB (mostly start-up); the
# viewers scale with the corpus (about 1 ms per document), the report and audit with the ledger.
localrules:
    report,
    audit,


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
        charts=rules.charts.output.index,
        code=code("report", "provenance", "mentions"),
        templates=REPORT_TEMPLATES,
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
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        processed=lambda w, input: Path(input.tables[0]).parent,
        raw=lambda w, input: Path(input.reports).parent,
    shell:
        "python -m figtrace report --processed {params.processed} --raw {params.raw}"
        " --charts {input.charts} --html {output.html} --md {output.md} > {log} 2>&1"


rule sources:
    input:
        tables=LEDGER_TABLES,
        reports=f"{RAW}/reports.yaml",
        indicators=f"{RAW}/indicators.yaml",
        code=code("report", "provenance"),
        templates=REPORT_TEMPLATES,
    output:
        # one viewer per document, sources/<doc_id>.html; one directory output, because
        # checking 10,000 declared files took Snakemake 10 s at every start
        directory(f"{RESULTS}/sources"),
    log:
        "logs/sources.log",
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        processed=lambda w, input: Path(input.tables[0]).parent,
        raw=lambda w, input: Path(input.reports).parent,
        out=lambda w, output: output[0],
    shell:
        "python -m figtrace sources --processed {params.processed} --raw {params.raw}"
        " --out {params.out} > {log} 2>&1"


rule audit:
    input:
        report=f"{RESULTS}/report.html",
        sources=rules.sources.output[0],
        tables=LEDGER_TABLES,
        reports=f"{RAW}/reports.yaml",
        code=code("audit", "report", "mentions", "provenance"),
    output:
        f"{RESULTS}/audit.json",
    log:
        "logs/audit.log",
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        processed=lambda w, input: Path(input.tables[0]).parent,
        raw=lambda w, input: Path(input.reports).parent,
    shell:
        "python -m figtrace audit --report {input.report} --processed {params.processed}"
        " --raw {params.raw} --out {output} 2>&1 | tee {log}; exit ${{PIPESTATUS[0]}}"
