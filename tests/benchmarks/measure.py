"""Wall time and peak memory of a child process tree, for every benchmark alike."""

from __future__ import annotations

import os
import subprocess
import time


def timed(cmd: list[str], *, quiet: bool = False) -> tuple[float, float]:
    """Run ``cmd``; return wall seconds and peak RSS (MB) of its largest process.

    ``os.wait4`` reports the child's usage including the descendants it waited for (STAR,
    bcftools), which is what Nextflow's trace reports as peak_rss too.
    """
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL if quiet else None)
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return time.perf_counter() - t0, usage.ru_maxrss / 1024
