# Stage 2: every document's canonical text, the map from its offsets back to pages, boxes or
# HTML elements, and the page furniture (running headers, page numbers, share bars) in it.


rule text:
    input:
        raw=RAW_FILES,
        sidecars=SIDECARS,
        reports=f"{RAW}/reports.yaml",
        documents=f"{PROCESSED}/documents.parquet",
        code=code("text", "documents"),
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
        mem_mb=2000,
        runtime=20,
    params:
        raw=lambda w, input: Path(input.reports).parent,
    shell:
        "python -m figtrace text --raw {params.raw} --text {output.text} "
        "--map {output.textmap} --furniture {output.furniture} > {log} 2>&1"
