# Stage 5: the summary report (every number a link to its provenance entry), one source viewer
# per document, and the audit that reads the rendered report back. The charts section is
# driven by results/charts/index.json (rule charts).
# Measured on the five documents: each job about 2 s and under 200 MB (mostly start-up); the
# viewers scale with the corpus (about 1 ms per document), the report and audit with the ledger.
localrules:
    report,
    audit,


# What the report and the audit read: the ledger, and the tables of the annotated documents only
# (the ledger shard), so that adding an unannotated document does not re-render the report.
CORPUS_TABLES = [
    f"{LEDGER_CORPUS}/{name}.parquet" for name in ("documents", "text", "mentions")
]
LEDGER_TABLES = [
    f"{PROCESSED}/{name}.parquet"
    for name in ("figures", "exclusions", "derived", "checks")
]
VIEWER_INDEXES = expand(f"{RESULTS}/sources/shard-{{shard}}.tsv", shard=SHARD_IDS)


rule report:
    input:
        corpus=CORPUS_TABLES,
        ledger=LEDGER_TABLES,
        reports=f"{RAW}/reports.yaml",
        indicators=f"{RAW}/indicators.yaml",
        charts=rules.charts.output.index,
        code=code("report", "viewers", "rendering", "provenance", "mentions"),
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
        processed=lambda w, input: Path(input.ledger[0]).parent,
        corpus=lambda w, input: Path(input.corpus[0]).parent,
        raw=lambda w, input: Path(input.reports).parent,
    shell:
        "python -m figtrace report --processed {params.processed} --corpus {params.corpus}"
        " --raw {params.raw} --charts {input.charts} --html {output.html} --md {output.md}"
        " > {log} 2>&1"


# The ledger shard's viewers: the only ones with figures to mark, so they need the ledger. Each
# numbered shard's viewers are rendered by its own text job (rule shard, text.smk). All viewers
# share one folder, so each keeps its stable address sources/<doc_id>.html; a shard's declared
# output is the list of the viewers it wrote (with their sha256), written after them.
rule sources:
    input:
        corpus=CORPUS_TABLES,
        ledger=LEDGER_TABLES,
        reports=f"{RAW}/reports.yaml",
        indicators=f"{RAW}/indicators.yaml",
        code=code("viewers", "rendering", "report", "provenance", "shards", "manifest"),
        templates=REPORT_TEMPLATES,
    output:
        f"{RESULTS}/sources/shard-{LEDGER}.tsv",
    log:
        "logs/sources/shard-ledger.log",
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        processed=lambda w, input: Path(input.ledger[0]).parent,
        corpus=lambda w, input: Path(input.corpus[0]).parent,
        raw=lambda w, input: Path(input.reports).parent,
        out=lambda w, output: Path(output[0]).parent,
        # not an input: the viewers need not re-render when another shard changes
        catalogue=CATALOGUE,
        shards=SHARDS,
    shell:
        "python -m figtrace sources --processed {params.processed} --corpus {params.corpus}"
        " --raw {params.raw} --out {params.out} --index {output}"
        " --catalogue {params.catalogue} --shards {params.shards} > {log} 2>&1"


rule audit:
    input:
        report=f"{RESULTS}/report.html",
        md=f"{RESULTS}/report.md",
        # the viewers the report links to (the ledger's documents)
        sources=f"{RESULTS}/sources/shard-{LEDGER}.tsv",
        corpus=CORPUS_TABLES,
        ledger=LEDGER_TABLES,
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
        processed=lambda w, input: Path(input.ledger[0]).parent,
        corpus=lambda w, input: Path(input.corpus[0]).parent,
        raw=lambda w, input: Path(input.reports).parent,
    shell:
        "python -m figtrace audit --report {input.report} --markdown {input.md}"
        " --processed {params.processed}"
        " --corpus {params.corpus} --raw {params.raw} --out {output}"
        " 2>&1 | tee {log}"
