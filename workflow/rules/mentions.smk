# Stage 2: every numeric expression in every document (value, kind, hedge, role). The text
# stage's shard jobs find them (figtrace.mentions) while the canonical text is in memory; this
# gather writes the corpus's mentions.parquet.
MENTION_SHARDS = expand(
    f"{PROCESSED}/shards/{{shard}}/mentions.parquet", shard=SHARD_IDS
)


# Concatenating the shards takes about a second at 10,000 documents: not worth a cluster job.
localrules:
    mentions,


rule mentions:
    input:
        MENTION_SHARDS,
        code=code("shards"),
    output:
        f"{PROCESSED}/mentions.parquet",
    log:
        "logs/mentions.log",
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        shards=SHARDS,
    shell:
        "python -m figtrace gather mentions --shards {params.shards} {output} > {log} 2>&1"
