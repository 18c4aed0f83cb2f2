# Stage 1: verify the raw documents against their pinned hashes and write the catalogue.


rule verify_documents:
    input:
        # every document, as one file that changes when any document does (see common.smk)
        catalogue=CATALOGUE,
        reports=f"{RAW}/reports.yaml",
        code=code("documents", "text", "registries"),
    output:
        f"{PROCESSED}/documents.parquet",
    log:
        "logs/verify_documents.log",
    conda:
        ENV
    # Measured: 1.1 s and 144 MB peak RSS for the five documents; a cluster job also holds
    # Snakemake itself (about 190 MB), so 512 MB covers both with room for more documents.
    threads: 1
    resources:
        mem_mb=512,
        runtime=5,
    params:
        raw=lambda w, input: Path(input.reports).parent,
        memo=SIDECAR_MEMO,
    shell:
        "python -m figtrace verify --raw {params.raw} --memo {params.memo} --out {output} > {log} 2>&1"
