"""A one-node SLURM cluster on this machine, for the Nextflow SLURM test.

Everything lives in one private folder: its own munge key and socket, slurm.conf (this
machine's cores and memory, localhost only, ports of its own), state, spool and logs, so it
neither needs nor touches /etc/slurm or a system munged. Accounting storage is off (no
slurmdbd); finished jobs are recorded by the job-completion plugin in ``jobcomp.txt``. The
partition lets two jobs share a core (OverSubscribe=FORCE:2), as `tkiseq run` runs two tasks at
once on 2 cores.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

DAEMONS = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo", "scontrol")


def missing_tools() -> list[str]:
    return [tool for tool in DAEMONS if shutil.which(tool) is None]


def _node_memory_mb() -> int:
    """RealMemory as slurmd measures it (slurmd -C), so the node is not drained for lying."""
    out = subprocess.run(["slurmd", "-C"], capture_output=True, text=True, check=True).stdout
    return int(out.split("RealMemory=")[1].split()[0])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def slurm_conf(root: Path, cpus: int, memory_mb: int) -> str:
    host = socket.gethostname().split(".")[0]
    return f"""\
ClusterName=tkiseq
SlurmctldHost={host}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={root}/munge.sock
SlurmctldPort={_free_port()}
SlurmdPort={_free_port()}
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldLogFile={root}/slurmctld.log
SlurmdLogFile={root}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc={root}/jobcomp.txt
MinJobAge=3600
NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={memory_mb} State=UNKNOWN
PartitionName=local Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:2
"""


def _wait(what: str, check, timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    tail = log.read_text()[-2000:] if log.exists() else "(no log)"
    raise RuntimeError(f"{what} did not come up within {timeout} s; {log}:\n{tail}")


def _pid(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _stop(pidfile: Path) -> None:
    pid = _pid(pidfile)
    if pid is None:
        return
    try:
        os.kill(pid, 15)
    except ProcessLookupError:
        return
    for _ in range(40):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.25)
    os.kill(pid, 9)


@contextmanager
def slurm_cluster(root: Path):
    """Start munged, slurmctld and slurmd for one node; yield the environment (SLURM_CONF) the
    SLURM client commands need; stop the three daemons (by their pid files) at the end."""
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o755)
    for folder in ("state", "spool"):
        (root / folder).mkdir(exist_ok=True)
    key = root / "munge.key"
    key.write_bytes(os.urandom(1024))
    key.chmod(0o400)
    conf = root / "slurm.conf"
    conf.write_text(slurm_conf(root, os.cpu_count() or 1, _node_memory_mb()))
    env = {**os.environ, "SLURM_CONF": str(conf)}
    try:
        subprocess.run(
            [
                "munged",
                "--force",
                f"--socket={root}/munge.sock",
                f"--key-file={key}",
                f"--log-file={root}/munged.log",
                f"--pid-file={root}/munged.pid",
                f"--seed-file={root}/munged.seed",
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        subprocess.run(["slurmctld", "-c"], env=env, check=True, capture_output=True, text=True)
        subprocess.run(["slurmd"], env=env, check=True, capture_output=True, text=True)

        def node_idle() -> bool:
            out = subprocess.run(
                ["sinfo", "-h", "-o", "%t"], env=env, capture_output=True, text=True
            ).stdout
            return out.strip() == "idle"

        _wait("the SLURM node", node_idle, 60, root / "slurmctld.log")
        yield env
    finally:
        _stop(root / "slurmd.pid")
        _stop(root / "slurmctld.pid")
        _stop(root / "munged.pid")


def completed_jobs(root: Path) -> dict[str, dict[str, str]]:
    """The job-completion records: JobId -> its fields (Name, JobState, NodeList...)."""
    jobs = {}
    path = root / "jobcomp.txt"
    for line in path.read_text().splitlines() if path.exists() else []:
        fields = dict(item.split("=", 1) for item in line.split() if "=" in item)
        jobs[fields["JobId"]] = fields
    return jobs
