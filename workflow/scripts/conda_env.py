"""Write envs/figtrace.yaml from requirements.lock so the conda environment pins the same versions.

Usage: python workflow/scripts/conda_env.py [requirements.lock] > envs/figtrace.yaml
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

PIN = re.compile(
    r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s\\;]+)(?:\s*;\s*([^\\]+?))?\s*\\?$"
)
ROOT = Path(__file__).resolve().parents[2]


def pinned(lock: Path) -> list[tuple[str, str, str]]:
    """(name, version, environment marker or "") for every pin in a universal pip lock, in file order."""
    out = []
    for line in lock.read_text("utf-8").splitlines():
        match = PIN.match(line)
        if match:
            out.append((match.group(1).lower(), match.group(3), (match.group(4) or "").strip()))
    return out


def pins(lock: Path) -> list[tuple[str, str]]:
    """(name, version) for every package pinned in a pip lock file, in file order."""
    return [(name, version) for name, version, _marker in pinned(lock)]


def python_spec(pyproject: Path = ROOT / "pyproject.toml") -> str:
    """The conda spec for Python, from pyproject.toml's requires-python (e.g. python>=3.11,<3.14)."""
    requires = tomllib.loads(pyproject.read_text("utf-8"))["project"]["requires-python"]
    return "python" + requires.replace(" ", "")


def render(lock: Path, pyproject: Path = ROOT / "pyproject.toml") -> str:
    """The conda environment file text: Python from requires-python, every pin (with its marker) from the lock."""
    lines = [
        f"# Generated from {lock.name} by workflow/scripts/conda_env.py (make lock); do not edit by hand.",
        "# Used by the rules' conda: directives (--software-deployment-method conda).",
        "name: figtrace",
        "channels:",
        "  - conda-forge",
        "  - nodefaults",
        "dependencies:",
        f'  - "{python_spec(pyproject)}"',
        "  - pip",
        "  - pip:",
    ]
    for name, version, marker in pinned(lock):
        pin = f"{name}=={version}"
        lines.append(f'      - "{pin} ; {marker}"' if marker else f"      - {pin}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render(Path(sys.argv[1] if len(sys.argv) > 1 else "requirements.lock")))
