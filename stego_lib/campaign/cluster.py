"""The Dask cluster a campaign runs on: local worker processes (the default), an existing
cluster, or Slurm jobs. Every worker runs one chunk at a time; on a GPU each worker holds one
GPU and declares it as the resource ``GPU``, which every GPU chunk requires.

The Slurm adapter (``dask-jobqueue``) is an optional extra: ``pip install stego_lib[slurm]``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from distributed import WorkerPlugin

__all__ = ["Engine", "GPUPin", "IgnoreInterrupt", "connect", "cores", "gpu_for",
           "slurm_options"]

# Memory per worker process in a Slurm job: ResNet-32 training at batch 128 and a Table 1
# cell's images need a few GB; the data sets are memory-mapped.
SLURM_MEMORY_PER_WORKER_GB = 8


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@dataclass
class Engine:
    """Where the chunks run (the ``run`` command's engine options).

    Args:
        workers: local worker processes (default: one per core, or one per GPU); with
            ``slurm``, worker processes per CPU job.
        threads: torch threads per local worker (default: cores / workers).
        scheduler_address / scheduler_file: join this running Dask cluster instead.
        slurm: submit ``jobs`` Slurm jobs of ``gpus_per_job`` GPUs (0: CPU jobs) for at most
            ``walltime`` on ``partition``.
    """

    workers: int | None = None
    threads: int | None = None
    scheduler_address: str | None = None
    scheduler_file: str | None = None
    slurm: bool = False
    jobs: int = 1
    gpus_per_job: int = 0
    walltime: str = "04:00:00"
    partition: str | None = None

    def __post_init__(self):
        for name in ("workers", "threads"):
            v = getattr(self, name)
            if v is not None and v < 1:
                raise ValueError(f"--{name} must be at least 1, got {v}")
        if self.jobs < 1 or self.gpus_per_job < 0:
            raise ValueError(f"--jobs must be at least 1 and --gpus-per-job at least 0, got "
                             f"{self.jobs} and {self.gpus_per_job}")
        if self.scheduler_address and self.scheduler_file:
            raise ValueError("give --scheduler-address or --scheduler-file, not both")
        if self.slurm and (self.scheduler_address or self.scheduler_file):
            raise ValueError("--slurm starts its own scheduler; it cannot join another")


class GPUPin(WorkerPlugin):
    """Gives each worker one of the GPUs its machine (or Slurm job) shows, by the index at the
    end of the worker's name (local workers are named 0, 1...; a Slurm job's are
    ``<job>-0``, ``<job>-1``...). It runs when the worker starts, before any task touches
    CUDA, so ``cuda`` in the task means that GPU."""

    name = "stego-gpu-pin"

    def setup(self, worker):
        visible = os.environ.get("CUDA_VISIBLE_DEVICES")
        if visible is None:
            import torch  # counts the GPUs without initialising CUDA in this process

            visible = ",".join(str(i) for i in range(torch.cuda.device_count()))
        os.environ["CUDA_VISIBLE_DEVICES"] = gpu_for(worker.name, visible)


class IgnoreInterrupt(WorkerPlugin):
    """Local workers share the terminal of the campaign: a Ctrl-C reaches them too. They ignore
    it, so that the first one lets the running chunks finish; the client decides (a second
    Ctrl-C closes the cluster, which abandons them)."""

    name = "stego-ignore-interrupt"

    def setup(self, worker):
        import signal

        signal.signal(signal.SIGINT, signal.SIG_IGN)


def gpu_for(worker_name, visible: str) -> str:
    """The GPU (one entry of ``visible``, a CUDA_VISIBLE_DEVICES list) of this worker.

    Example:
        >>> gpu_for(1, "0,1,2"), gpu_for("SLURMCluster-4-1", "2,3"), gpu_for(3, "0,1")
        ('1', '3', '1')
    """
    gpus = [g for g in visible.split(",") if g.strip()]
    if not gpus:
        raise RuntimeError(f"campaign worker {worker_name}: no GPU is visible to it")
    index = int(str(worker_name).rsplit("-", 1)[-1])
    return gpus[index % len(gpus)]


def slurm_options(e: Engine) -> dict:
    """The keyword arguments of ``dask_jobqueue.SLURMCluster`` for ``e``: each job runs one
    one-thread worker process per GPU (or ``e.workers`` of them in a CPU job)."""
    processes = e.gpus_per_job or e.workers or 1
    opts = dict(cores=processes, processes=processes,
                memory=f"{SLURM_MEMORY_PER_WORKER_GB * processes}GB", walltime=e.walltime,
                queue=e.partition, job_extra_directives=[], worker_extra_args=[])
    if e.gpus_per_job:
        opts["job_extra_directives"].append(f"--gres=gpu:{e.gpus_per_job}")
        opts["worker_extra_args"] += ["--resources", "GPU=1"]
    return opts


def connect(e: Engine, device: str, log):
    """A Dask client on the cluster ``e`` describes (started here unless it joins one), and
    the cluster to close afterwards (None when joining). The workers started here for
    ``cuda`` are pinned to one GPU each and hold the resource ``GPU``."""
    import dask
    from distributed import Client, LocalCluster

    cluster = None
    if e.scheduler_address or e.scheduler_file:
        try:
            client = Client(e.scheduler_address, scheduler_file=e.scheduler_file, timeout="10s")
        except (OSError, TimeoutError) as err:
            raise RuntimeError(f"cannot reach the Dask scheduler at "
                               f"{e.scheduler_address or e.scheduler_file}: {err}") from err
    elif e.slurm:
        try:
            from dask_jobqueue import SLURMCluster
        except ImportError:
            raise RuntimeError("--slurm needs dask-jobqueue, an optional extra: "
                               "pip install 'stego_lib[slurm]'") from None

        cluster = SLURMCluster(**slurm_options(e))
        cluster.scale(jobs=e.jobs)
        log(f"submitted {e.jobs} Slurm job(s); chunks start as the jobs do")
        client = Client(cluster)
    else:
        if device == "cuda":
            import torch

            n = e.workers or torch.cuda.device_count()
            resources = {"GPU": 1}
        else:
            n, resources = e.workers or cores(), None
        # Small models use cores poorly: one one-thread worker per core beats one worker with
        # every core (benchmarks/bench_workers.py), hence the default.
        threads = str(e.threads or max(1, cores() // n))
        env = {"OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads}
        if device == "cpu":
            env["CUDA_VISIBLE_DEVICES"] = ""
        # memory_limit=0: no per-worker share of the RAM, which Dask would enforce by
        # restarting a worker (a Table 1 cell at batch 500 may need more than an even share).
        # Dask sets MALLOC_TRIM_THRESHOLD_ in its workers, which also fixes glibc's mmap
        # threshold: every large tensor is then mapped and unmapped afresh (a Table 1 cell
        # ran 2.5x slower with it); the workers keep glibc's defaults instead.
        with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_":
                              None}):
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                   host="127.0.0.1", resources=resources, env=env,
                                   memory_limit=0)
        client = Client(cluster)
        client.register_plugin(IgnoreInterrupt())
    # the workers of a cluster joined here were pinned by whoever started them
    if device == "cuda" and cluster is not None:
        client.register_plugin(GPUPin())
    return client, cluster
