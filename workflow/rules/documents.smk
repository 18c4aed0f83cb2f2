# Stage 1: verify the raw documents against their pinned hashes and write the catalogue.


rule verify_documents:
    input:
        # every document, as one file that changes when any document does (see common.smk)
        catalogue=CATALOGUE,
        reports=f"{RAW}/reports.yaml",
    output:
        f"{PROCESSED}/documents.parquet",
    log:
        "logs/verify_documents.log",
    conda:
        ENV
    params:
        raw=lambda w, input: Path(input.reports).parent,
        memo=SIDECAR_MEMO,
    shell:
        "python -m figtrace verify --raw {params.raw} --memo {params.memo} --out {output} > {log} 2>&1"
