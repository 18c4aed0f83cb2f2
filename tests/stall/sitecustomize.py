"""Test-only: stop a pipeline job at a known point of a write, so a test can kill it there.

A test copies this file into a folder on the jobs' PYTHONPATH (a project copy's src/) and sets
FIGTRACE_TEST_STALL to `NAME:MARKER`. Every Python process then imports it at start-up (`site`
does); without the variable it does nothing; in the process that renames a
finished temporary file onto an output called NAME (the atomic writers' last step), the rename
is held: the process writes MARKER and sleeps until it is killed. At that moment the job has
written its earlier outputs and a complete temporary file of NAME, and NAME itself is missing:
a run killed there is caught half-way through writing its outputs.
"""

from __future__ import annotations

import os
import time

_SPEC = os.environ.get("FIGTRACE_TEST_STALL", "")
if _SPEC:
    _NAME, _MARKER = _SPEC.split(":", 1)
    _replace = os.replace

    def _stalling_replace(src, dst, *args, **kwargs):
        if os.path.basename(os.fspath(dst)) == _NAME:
            with open(_MARKER, "w", encoding="utf-8") as fh:
                fh.write(f"{os.getpid()} {os.fspath(src)}\n")
            while True:
                time.sleep(60)
        return _replace(src, dst, *args, **kwargs)

    os.replace = _stalling_replace
