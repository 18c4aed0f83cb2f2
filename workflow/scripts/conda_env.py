"""Write envs/figtrace.yaml from requirements.lock so the conda environment pins the same versions.

Usage: python workflow/scripts/conda_env.py [requirements.lock] > envs/figtrace.yaml
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s\\;]+)")


def pins(lock: Path) -> list[tuple[str, str]]:
    """(name, version) for every package pinned in a pip lock file, in file order."""
    out = []
    for line in lock.read_text("utf-8").splitlines():
        match = PIN.match(line)
        if match:
            out.append((match.group(1).lower(), match.group(3)))
    return out


def render(lock: Path) -> str:
    """The conda environment file text: Python 3.11 from conda-forge, everything else from the lock."""
    lines = [
        f"# Generated from {lock.name} by workflow/scripts/conda_env.py; do not edit by hand.",
        "# Used by the rules' conda: directives (--software-deployment-method conda).",
        "name: figtrace",
        "channels:",
        "  - conda-forge",
        "  - nodefaults",
        "dependencies:",
        "  - python=3.11",
        "  - pip",
        "  - pip:",
    ]
    lines += [f"      - {name}=={version}" for name, version in pins(lock)]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render(Path(sys.argv[1] if len(sys.argv) > 1 else "requirements.lock")))
