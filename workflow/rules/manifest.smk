# Last stage: a sha256 of every file the pipeline wrote, to compare runs byte for byte.
# Its inputs are all the other final targets (rule all's inputs), so it always runs last.
MANIFEST = f"{RESULTS}/MANIFEST.sha256"


# Hashing the outputs takes well under a second: not worth a cluster job.
localrules:
    manifest,


rule manifest:
    input:
        # every input of rule all except the manifest itself
        lambda w: [str(f) for f in rules.all.input if str(f) != MANIFEST],
    output:
        MANIFEST,
    log:
        "logs/manifest.log",
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        folders=[PROCESSED, RESULTS],
        # digests remembered by stat, so a re-run hashes only the files it rewrote
        cache=".snakemake/figtrace/manifest-cache.txt",
        # the viewers' digests as their jobs recorded them, so they are not stat'ed again
        recorded=" ".join(f"--recorded {path}" for path in VIEWER_INDEXES),
    # figtrace.manifest's own entry point: `python -m figtrace manifest` without the CLI's imports
    shell:
        "python -m figtrace.manifest --out {output} --cache {params.cache} {params.recorded}"
        " {params.folders} > {log} 2>&1"
