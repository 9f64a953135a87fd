"""Wall time, CPU time and peak memory of a child process tree, for every benchmark alike."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time

# Runs the command and reports its tree's usage. A process forked from the benchmark starts
# with the benchmark's own resident memory as its peak (Linux keeps ru_maxrss across exec:
# a `true` forked from a 300 MB Python process reports 310 MB), so the command is started
# from this small process instead, and only its children's usage is read.
_WRAPPER = """
import json, resource, subprocess, sys
code = subprocess.call(sys.argv[2:])
u = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(sys.argv[1], "w") as fh:
    json.dump({"code": code, "cpu": u.ru_utime + u.ru_stime, "rss": u.ru_maxrss}, fh)
"""


def measured(
    cmd: list[str], *, quiet: bool = False, env: dict[str, str] | None = None
) -> tuple[float, float, float]:
    """Run ``cmd``; return wall seconds, CPU seconds (user + system of the whole tree) and
    peak RSS (MB) of its largest process, as Nextflow's trace reports peak_rss."""
    with tempfile.NamedTemporaryFile(suffix=".json") as report:
        t0 = time.perf_counter()
        out = subprocess.DEVNULL if quiet else None
        subprocess.run(
            [sys.executable, "-c", _WRAPPER, report.name, *cmd],
            stdout=out,
            stderr=out,
            env=env,
            check=True,
        )
        wall = time.perf_counter() - t0
        with open(report.name) as fh:
            usage = json.load(fh)
    if usage["code"] != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return wall, usage["cpu"], usage["rss"] / 1024


def timed(cmd: list[str], *, quiet: bool = False) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of ``cmd`` (``measured``)."""
    wall, _, rss = measured(cmd, quiet=quiet)
    return wall, rss
