# Stage 2: find every numeric expression in every document (value, kind, hedge, role).


rule mentions:
    input:
        raw=RAW_FILES,
        sidecars=SIDECARS,
        documents=f"{PROCESSED}/documents.parquet",
        code=code("mentions", "text", "documents"),
    output:
        f"{PROCESSED}/mentions.parquet",
    log:
        "logs/mentions.log",
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=20,
    params:
        raw=lambda w, input: Path(input.sidecars[0]).parents[1],
    shell:
        "python -m figtrace mentions --raw {params.raw} --out {output} > {log} 2>&1"
