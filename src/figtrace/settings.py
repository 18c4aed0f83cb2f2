"""The pipeline's settings (config/config.yaml with any --config) checked against their schema
at every Snakemake start.

Snakemake's `validate` imports jsonschema, 0.13 s of every start, however small the change. The
settings' schema uses only keywords that draft 7 reads alike, so fastjsonschema (which the
sidecars' check imports anyway) checks it and fills in its defaults; settings it rejects go to
Snakemake's `validate`, whose message names the setting and what is wrong with it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from figtrace.registries import compile_fast, load_yaml


def settings_pass(config: dict[str, Any], schema: Path) -> bool:
    """Whether `config` is valid under the schema file `schema` (YAML or JSON), its defaults
    filled in where settings are missing; False also when the fast check cannot decide."""
    import fastjsonschema

    check = compile_fast(load_yaml(schema), defaults=True)
    if check is None:
        return False
    try:
        config.update(check(config))
    except fastjsonschema.JsonSchemaValueException:
        return False
    return True
