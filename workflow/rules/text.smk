# Stage 1: every document verified and read: its row in the documents table, its canonical text,
# the map from its offsets back to pages, boxes or HTML elements, the page furniture (running
# headers, page numbers, share bars) in it, and the numbers in it (the mentions stage's
# extractor, run while the text is in memory). One job per shard (see common.smk), so adding a
# document re-reads one shard; then small gathers write the tables of the whole corpus, in the
# same order one job would.
TEXT_TABLES = ["documents", "text", "textmap", "furniture"]


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
        shard=SHARD_PATTERN,
    # Measured: one shard of 100,000 synthetic documents (6,126 of them) from nothing in 10 s and
    # 315 MiB peak RSS, 1 s when one document changed; a PDF costs about a second a page, so
    # 1,000 MB and 10 min leave room for PDFs.
    # on the path from a new document to the finished run: start before the gathers
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
