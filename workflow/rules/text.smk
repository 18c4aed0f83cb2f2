# Stage 2: every document's canonical text, the map from its offsets back to pages, boxes or
# HTML elements, and the page furniture (running headers, page numbers, share bars) in it.
# One job per shard (see common.smk), so adding a document re-reads one shard, then a small
# gather writes the tables every later stage reads, in the same order one job would.
TEXT_TABLES = ["text", "textmap", "furniture"]


rule text_shard:
    input:
        # the shard's documents (doc_id and hashes), rewritten only when one of them changes
        catalogue=lambda w: shard_catalogue(w.shard),
        code=code("text", "documents", "shards"),
    output:
        text=f"{PROCESSED}/text/shard-{{shard}}.parquet",
        textmap=f"{PROCESSED}/textmap/shard-{{shard}}.parquet",
        furniture=f"{PROCESSED}/furniture/shard-{{shard}}.parquet",
    log:
        "logs/text/shard-{shard}.log",
    wildcard_constraints:
        shard=r"\d+",
    conda:
        ENV
    # Measured: one shard of 10,000 synthetic documents (1,226) in 0.6 s and 187 MB peak RSS;
    # a PDF costs about a second a page, so 1,000 MB and 10 min leave room for report PDFs.
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        raw=RAW,
        memo=SIDECAR_MEMO,
    shell:
        "python -m figtrace text --raw {params.raw} --catalogue {input.catalogue}"
        " --memo {params.memo} --text {output.text} --map {output.textmap}"
        " --furniture {output.furniture} > {log} 2>&1"


# Concatenating the shards takes well under a second: not worth a cluster job.
localrules:
    text,


rule text:
    input:
        expand(
            f"{PROCESSED}/{{table}}/shard-{{shard}}.parquet",
            table=TEXT_TABLES,
            shard=SHARD_IDS,
        ),
        code=code("shards"),
    output:
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
        "python -m figtrace gather text --shards {params.shards} {output.text}"
        " {output.textmap} {output.furniture} > {log} 2>&1"
