# Stage 1: every document verified and read: its row in the documents table, its canonical text,
# the map from its offsets back to pages, boxes or HTML elements, the page furniture (running
# headers, page numbers, share bars) in it, and the numbers in it (the mentions stage's
# extractor, run while the text is in memory). One job per shard (see common.smk), so adding a
# document re-reads one shard; then small gathers write the tables of the whole corpus, in the
# same order one job would. A numbered shard's job also renders its documents' source viewers
# (rule shard); the ledger shard's viewers wait for the ledger (rule sources, report.smk).
TEXT_TABLES = ["documents", "text", "textmap", "furniture"]


# The ledger shard: the annotated documents.
rule text_shard:
    input:
        # the shard's documents (doc_id and hashes), rewritten only when one of them changes
        catalogue=lambda w: shard_catalogue(w.shard),
        code=code("text", "documents", "shards", "mentions"),
    # update(): Snakemake keeps the tables when the job re-runs, so that the rows of documents
    # unchanged since the shard's reuse record was written are taken from them (figtrace.reuse)
    output:
        documents=update(f"{PROCESSED}/shards/{{shard}}/documents.parquet"),
        text=update(f"{PROCESSED}/shards/{{shard}}/text.parquet"),
        textmap=update(f"{PROCESSED}/shards/{{shard}}/textmap.parquet"),
        furniture=update(f"{PROCESSED}/shards/{{shard}}/furniture.parquet"),
        mentions=update(f"{PROCESSED}/shards/{{shard}}/mentions.parquet"),
    log:
        "logs/text/shard-{shard}.log",
    wildcard_constraints:
        shard=LEDGER,
    # a PDF costs about a second a page, so 1,000 MB and 10 min leave room for PDF reports
    priority: 10
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        raw=RAW,
        record=lambda w, output: Path(output.text).parent / ".reuse",
    shell:
        "python -m figtrace text --raw {params.raw} --catalogue {input.catalogue}"
        " --reuse {params.record} --documents {output.documents} --text {output.text}"
        " --map {output.textmap} --furniture {output.furniture} --mentions {output.mentions}"
        " > {log} 2>&1"


# A numbered shard (documents nobody annotated): its tables as rule text_shard writes them, then
# its documents' source viewers, in one process (one start; after a change, usually no import of
# pandas: figtrace.shards). The viewers have no figures to mark, so they need nothing but the
# shard's own tables.
rule shard:
    input:
        # the shard's documents (doc_id and hashes), rewritten only when one of them changes
        catalogue=lambda w: shard_catalogue(w.shard),
        reports=f"{RAW}/reports.yaml",
        indicators=f"{RAW}/indicators.yaml",
        code=code(
            "text",
            "documents",
            "shards",
            "mentions",
            "viewers",
            "rendering",
            "manifest",
        ),
        templates=REPORT_TEMPLATES,
    # update(): Snakemake keeps the tables when the job re-runs, so that the rows of documents
    # unchanged since the shard's reuse record was written are taken from them (figtrace.reuse),
    # and the list of viewers, whose digests of kept viewers are taken instead of reading them,
    # and which says whether a viewer may have lost its document (figtrace.viewers)
    output:
        documents=update(f"{PROCESSED}/shards/{{shard}}/documents.parquet"),
        text=update(f"{PROCESSED}/shards/{{shard}}/text.parquet"),
        textmap=update(f"{PROCESSED}/shards/{{shard}}/textmap.parquet"),
        furniture=update(f"{PROCESSED}/shards/{{shard}}/furniture.parquet"),
        mentions=update(f"{PROCESSED}/shards/{{shard}}/mentions.parquet"),
        viewers=update(f"{RESULTS}/sources/shard-{{shard}}.tsv"),
    log:
        "logs/shards/{shard}.log",
    wildcard_constraints:
        shard=NUMBERED,
    # Measured: one shard of 100,000 synthetic documents (6,126 of them) from nothing in 10 s
    # (text) and 5.8 s (viewers), 352 MiB peak RSS; 1 s and 1.3 s as two jobs when one document
    # changed. A PDF costs about a second a page: 1,000 MB and 20 min leave room for PDFs.
    # on the path from a new document to the finished run: start before the gathers
    priority: 10
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=20,
    params:
        raw=lambda w, input: Path(input.reports).parent,
        tables=lambda w, output: Path(output.text).parent,
        out=lambda w, output: Path(output.viewers).parent,
        # not an input: a shard's viewers need not re-render when another shard changes
        corpus_catalogue=CATALOGUE,
        shards=SHARDS,
    shell:
        "python -m figtrace shard --raw {params.raw} --catalogue {input.catalogue}"
        " --tables {params.tables} --viewers {params.out} --index {output.viewers}"
        " --corpus-catalogue {params.corpus_catalogue} --shards {params.shards} > {log} 2>&1"


# Concatenating the shards takes well under a second: not worth a cluster job.
localrules:
    text,


rule text:
    input:
        expand(
            f"{PROCESSED}/shards/{{shard}}/{{table}}.parquet",
            table=TEXT_TABLES,
            shard=SHARD_IDS,
        ),
        code=code("shards"),
    output:
        documents=f"{PROCESSED}/documents.parquet",
        text=f"{PROCESSED}/text.parquet",
        textmap=f"{PROCESSED}/textmap.parquet",
        furniture=f"{PROCESSED}/furniture.parquet",
    log:
        "logs/text.log",
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        shards=SHARDS,
    shell:
        "python -m figtrace gather text --shards {params.shards} {output.documents}"
        " {output.text} {output.textmap} {output.furniture} > {log} 2>&1"
