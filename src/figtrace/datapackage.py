"""Data package: the ledger's CSV tables described for people who do not use Python.

Writes a Frictionless `datapackage.json` naming each CSV and describing every column, from the
same column definitions the tables are built with.
"""

from __future__ import annotations

import json
from pathlib import Path

from figtrace import outputs
from figtrace.checks import CHECK_COLUMNS
from figtrace.derived import DERIVED_COLUMNS
from figtrace.figures import FIGURE_COLUMNS

TABLES = {
    "figures": ("Every statistic in the source documents, anchored to its passage.", FIGURE_COLUMNS, ["figure_id"]),
    "derived": ("Numbers the sources imply but do not state, with formulas.", DERIVED_COLUMNS, ["derived_id"]),
    "checks": ("Consistency checks between sources and against arithmetic.", CHECK_COLUMNS, ["check_id"]),
}  # fmt: skip


def descriptor() -> dict:
    """The Frictionless Data Package descriptor for the ledger's CSV files."""
    resources = []
    for name, (description, columns, key) in TABLES.items():
        resources.append(
            {
                "name": name,
                "path": f"{name}.csv",
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "description": description,
                "schema": {
                    "fields": [
                        {"name": col, "type": typ, "description": text}
                        for col, (typ, text) in columns.items()
                    ],
                    "primaryKey": key,
                },
            }
        )
    return {
        "profile": "tabular-data-package",
        "name": "figtrace-ledger",
        "title": "Child trafficking in the UK: figures traced to their source passages",
        "description": (
            "Quotes are short passages of third-party news articles, kept for provenance; "
            "check the publishers' terms before reuse."
        ),
        "resources": resources,
    }


def write_descriptor(path: Path) -> Path:
    """Write `datapackage.json` atomically, byte-stable."""
    return outputs.write_text(path, json.dumps(descriptor(), indent=2, ensure_ascii=False) + "\n")
