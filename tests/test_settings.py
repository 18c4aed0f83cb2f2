"""The pipeline's settings are checked at every start without importing jsonschema: valid
settings pass with the schema's defaults filled in; any other goes to Snakemake's `validate`."""

from __future__ import annotations

from conftest import ROOT
from figtrace.settings import settings_pass

SCHEMA = ROOT / "workflow/schemas/config.schema.yaml"


def test_valid_settings_pass_with_the_schemas_defaults_filled_in():
    config = {"raw_dir": "raw", "processed_dir": "processed", "results_dir": "results"}
    assert settings_pass(config, SCHEMA)
    assert config["shards"] == "auto" and config["corpus_tables"] == "auto"
    given = {**config, "shards": 3, "corpus_tables": "files"}
    assert settings_pass(given, SCHEMA) and given["shards"] == 3


def test_settings_the_fast_check_rejects_are_left_to_snakemake():
    config = {"raw_dir": "raw", "processed_dir": "processed", "results_dir": "results"}
    for bad in (
        {**config, "shards": 0},
        {**config, "shards": "many"},
        {**config, "unknown_setting": 1},
        {"raw_dir": "raw"},
        {**config, "provenance_figure": "Not An Id"},
    ):
        assert not settings_pass(dict(bad), SCHEMA), bad
