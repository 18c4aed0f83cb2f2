# Stage 3: the figure ledger. Curated annotations are checked against the hashed text and the
# mention extractor; derived figures and consistency checks are computed from the ledger.
# Measured (5 documents): each job 0.3-2.2 s and under 180 MB; they scale with the annotations,
# not the corpus, so they run on the submitting host, never as cluster jobs.
localrules:
    figures,
    derived,
    checks,
    coverage,
    datapackage,


rule figures:
    input:
        annotations=ANNOTATIONS,
        indicators=f"{RAW}/indicators.yaml",
        reports=f"{RAW}/reports.yaml",
        # the annotated documents' tables (the ledger shard), never the whole corpus's
        documents=f"{LEDGER_CORPUS}/documents.parquet",
        mentions=f"{LEDGER_CORPUS}/mentions.parquet",
        code=code("figures", "anchors", "registries", "documents", "text"),
    output:
        table=f"{PROCESSED}/figures.parquet",
        csv=f"{PROCESSED}/figures.csv",
        exclusions=f"{PROCESSED}/exclusions.parquet",
    log:
        "logs/figures.log",
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        raw=lambda w, input: Path(input.indicators).parent,
    shell:
        "python -m figtrace figures --raw {params.raw} --mentions {input.mentions}"
        " --out {output.table} --csv {output.csv} --exclusions {output.exclusions}"
        " 2>&1 | tee {log}"


rule derived:
    input:
        spec=f"{RAW}/derived.yaml",
        indicators=f"{RAW}/indicators.yaml",
        figures=f"{PROCESSED}/figures.parquet",
        code=code("derived", "figures"),
    output:
        table=f"{PROCESSED}/derived.parquet",
        csv=f"{PROCESSED}/derived.csv",
    log:
        "logs/derived.log",
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        raw=lambda w, input: Path(input.spec).parent,
    shell:
        "python -m figtrace derived --raw {params.raw} --figures {input.figures}"
        " --out {output.table} --csv {output.csv} 2>&1 | tee {log}"


rule checks:
    input:
        spec=f"{RAW}/checks.yaml",
        figures=f"{PROCESSED}/figures.parquet",
        derived=f"{PROCESSED}/derived.parquet",
        # the annotated documents' texts, to tell copies of one source from independent ones
        text=f"{LEDGER_CORPUS}/text.parquet",
        # the reports in the corpus: each article figure is checked against its report's own
        report_documents=REPORT_DOCUMENTS,
        code=code("checks", "figures", "reports", "corroboration"),
    output:
        table=f"{PROCESSED}/checks.parquet",
        csv=f"{PROCESSED}/checks.csv",
        summary=report(
            f"{RESULTS}/checks.md", caption="../report/checks.rst", category="Summary"
        ),
    log:
        "logs/checks.log",
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        raw=lambda w, input: Path(input.spec).parent,
    shell:
        "python -m figtrace checks --raw {params.raw} --figures {input.figures}"
        " --derived {input.derived} --text {input.text} --out {output.table}"
        " --csv {output.csv} --summary {output.summary}"
        " --report-documents {input.report_documents} 2>&1 | tee {log}"


rule coverage:
    input:
        # the shards, not the gathered table: coverage need not wait for the gather; with the
        # corpus tables as a dataset (CORPUS_FILES false), the annotated documents' shard only
        mentions=(
            MENTION_SHARDS if CORPUS_FILES else [f"{LEDGER_CORPUS}/mentions.parquet"]
        ),
        figures=f"{PROCESSED}/figures.parquet",
        exclusions=f"{PROCESSED}/exclusions.parquet",
        code=code("coverage"),
    output:
        table=f"{PROCESSED}/coverage.parquet",
        uncovered=f"{RESULTS}/uncovered_statistics.csv",
    log:
        "logs/coverage.log",
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        mentions=lambda w, input: " ".join(
            f"--mentions {path}" for path in input.mentions
        ),
    shell:
        "python -m figtrace coverage {params.mentions} --figures {input.figures}"
        " --exclusions {input.exclusions} --out {output.table}"
        " --uncovered {output.uncovered} 2>&1 | tee {log}"


rule datapackage:
    input:
        f"{PROCESSED}/figures.csv",
        f"{PROCESSED}/derived.csv",
        f"{PROCESSED}/checks.csv",
        code=code("datapackage", "figures", "derived", "checks"),
    output:
        f"{PROCESSED}/datapackage.json",
    log:
        "logs/datapackage.log",
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    shell:
        "python -m figtrace datapackage --out {output} > {log} 2>&1"
