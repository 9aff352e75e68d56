"""The campaign on Dask: parallel workers and kill-and-resume give the arrays of a
single-process run, needs are respected, a killed worker's chunk is recomputed, a failing
chunk is reported while the others go on, status reads what is on disk and what the
scheduler runs, bad options fail with clear messages."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from stego_lib import campaign, checkpoints, models
from stego_lib.campaign import cluster, runner
from stego_lib.campaign.status import scheduler_file
from stego_lib.campaign.core import UnknownItemError, registry, select
from stego_lib.tasks import Chunk, Item

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
TOY = [sys.executable, str(TESTS / "campaign_toy.py")]


def _env(tmp: Path, **extra) -> dict:
    env = dict(os.environ)
    env.update(STEGO_RESULTS=str(tmp / "results"), STEGO_CHECKPOINTS=str(tmp / "checkpoints"),
               STEGO_STATE=str(tmp / "state"),
               PYTHONPATH=os.pathsep.join([str(TESTS), str(REPO), env.get("PYTHONPATH", "")]),
               OMP_NUM_THREADS="1", CUDA_VISIBLE_DEVICES="")
    env.update(extra)
    (tmp / "checkpoints").mkdir(parents=True, exist_ok=True)
    return env


def _campaign(tmp: Path, *args, **extra):
    """The campaign's command line with the toy items, in ``tmp``."""
    args = [*args, "--no-progress"] if args[0] == "run" else list(args)
    return subprocess.run(TOY + args, env=_env(tmp, **extra), cwd=tmp, capture_output=True,
                          text=True, timeout=300)


def _start_paused(tmp: Path, pause_at: str, pause_s: float = 60, *args):
    """A toy campaign (2 workers) in its own process group, and the pid of the worker process
    once it has reached the middle of chunk ``pause_at``."""
    marker = tmp / "paused"
    proc = subprocess.Popen(TOY + ["run", "--items", "toy", "--no-progress", "--workers", "2",
                                   *args],
                            env=_env(tmp, TOY_PAUSE=str(marker), TOY_PAUSE_AT=pause_at,
                                     TOY_PAUSE_S=str(pause_s)),
                            cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    deadline = time.monotonic() + 240
    while not marker.exists() or not marker.read_text():
        assert proc.poll() is None, "the campaign ended before reaching the pause"
        assert time.monotonic() < deadline, "the campaign never reached the pause"
        time.sleep(0.1)
    return proc, int(marker.read_text())


def _final(tmp: Path):
    from campaign_toy import arrays  # noqa: E402 (tests dir is on sys.path under pytest)
    ckpt = torch.load(tmp / "checkpoints" / "toy_cnn.pt", weights_only=True)
    return arrays(tmp / "results"), ckpt


def _assert_same_outputs(a: Path, b: Path) -> None:
    """The toy campaigns under ``a`` and ``b`` stored identical arrays and weights."""
    arrays_a, ckpt_a = _final(a)
    arrays_b, ckpt_b = _final(b)
    assert sorted(arrays_a) == sorted(arrays_b) and len(arrays_a) == 6
    for k in arrays_a:
        np.testing.assert_array_equal(arrays_a[k], arrays_b[k], err_msg=k)
    assert sorted(ckpt_a) == sorted(ckpt_b)
    for k in ckpt_a:
        assert torch.equal(ckpt_a[k], ckpt_b[k]), k


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    """Every toy chunk computed in order in one process, without the campaign."""
    tmp = tmp_path_factory.mktemp("serial")
    out = subprocess.run(TOY + ["serial"], env=_env(tmp), cwd=tmp, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return tmp


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("two")
    out = _campaign(tmp, "run", "--items", "toy", "--workers", "2",
                    TOY_EVENTS=str(tmp / "events"))
    assert out.returncode == 0, out.stderr
    return tmp, out.stdout


def test_two_workers_compute_each_chunk_once_and_match_a_single_process(serial, two_workers):
    tmp, stdout = two_workers
    done = [line.split("] ", 1)[1].split(" done in")[0] for line in stdout.splitlines()
            if " done in " in line]
    assert sorted(done) == sorted(set(done)) and len(done) == 6, stdout
    assert "Dask dashboard: http" in stdout
    _assert_same_outputs(serial, tmp)


def test_a_chunk_starts_only_after_what_it_needs(two_workers):
    tmp, _ = two_workers
    events = (tmp / "events").read_text().splitlines()
    assert sorted(events) == sorted(set(events)) and len(events) == 12, events
    # the training slices run one after another; the results need the finished model
    for before, after in (("steps to 6", "steps to 12"), ("steps to 12", "steps to 18")):
        assert events.index(f"end {before}") < events.index(f"start {after}"), events
    for eps in ("0.1", "0.2", "0.3"):
        assert events.index("end steps to 18") < events.index(f"start eps {eps}"), events


# A training slice: the retried chunk must resume from the slice's start, not its middle.
@pytest.mark.parametrize("pause_at", ["train 12"])
def test_a_sigkilled_worker_s_chunk_is_recomputed_and_matches(tmp_path, serial, pause_at):
    proc, worker = _start_paused(tmp_path, pause_at)
    assert worker != proc.pid
    os.kill(worker, signal.SIGKILL)
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, out
    _assert_same_outputs(serial, tmp_path)


# Killed while a checkpoint and while a result is being written (mid-training is covered above).
@pytest.mark.parametrize("pause_at", ["save", "results 0.2"])
def test_sigkill_mid_chunk_then_resume_matches_uninterrupted(tmp_path, serial, pause_at):
    proc, _ = _start_paused(tmp_path, pause_at)
    os.killpg(proc.pid, signal.SIGKILL)  # the client and every worker, as a power cut would
    proc.communicate()
    # The kill left nothing half-written: every output file there is complete, and the killed
    # chunk is not done. A temporary file may be left: the other worker's chunk ends while
    # this one is paused, and a kill between the temporary write and its rename leaves the
    # temporary behind (as a power cut would); it is never read (nor committed), and the
    # resumed run below must not mind it.
    outputs = [p for p in tmp_path.rglob("*") if p.is_file() and not p.name.endswith(".tmp")
               and "state" not in p.relative_to(tmp_path).parts]
    for p in outputs:
        if p.suffix == ".npz":
            with np.load(p, allow_pickle=False) as z:
                [z[k] for k in z.files]
        elif p.suffix == ".json":
            json.loads(p.read_text())
        elif p.suffix == ".pt":
            torch.load(p, weights_only=True)
    assert (tmp_path / "checkpoints" / "toy_cnn.pt" in outputs) == (pause_at != "save")
    status = _campaign(tmp_path, "status", "--items", "toy")
    assert status.returncode == 0, status.stderr
    assert "done" not in status.stdout.splitlines()[3]  # toy-results is pending
    if pause_at == "save":  # killed before the checkpoint was stored: training is not done
        assert "done" not in status.stdout.splitlines()[2]
    out = _campaign(tmp_path, "run", "--items", "toy")
    assert out.returncode == 0, out.stderr
    _assert_same_outputs(serial, tmp_path)


def test_a_stop_signal_lets_the_running_chunk_finish(tmp_path):
    proc, _ = _start_paused(tmp_path, "results 0.2", pause_s=5)
    os.killpg(proc.pid, signal.SIGINT)  # a Ctrl-C reaches the client and its workers
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, out
    assert "stopped: signal" in out and "toy-results: eps 0.2 done" in out, out


def test_a_failing_chunk_is_reported_and_the_others_go_on(tmp_path):
    out = _campaign(tmp_path, "run", "--items", "toy", "--workers", "2",
                    TOY_FAIL_AT="eps 0.2")
    assert out.returncode == 1, out.stdout
    assert "failed: toy-results: eps 0.2: RuntimeError('toy failure in eps 0.2')" in out.stderr
    assert "toy-results: eps 0.1 done" in out.stdout and "toy-results: eps 0.3 done" in out.stdout
    status = _campaign(tmp_path, "status", "--items", "toy")
    assert " 2/3 " in status.stdout.splitlines()[3], status.stdout


def _toy_env(monkeypatch, tmp_path):
    env = _env(tmp_path)
    for k in ("STEGO_RESULTS", "STEGO_CHECKPOINTS", "STEGO_STATE"):
        monkeypatch.setenv(k, env[k])
    monkeypatch.syspath_prepend(str(TESTS))
    import campaign_toy
    return (campaign_toy,)


# A task that holds a worker until released: it runs in a thread of this process
# (processes=False), where a plain sleep would hold the cluster's shutdown for its full length.
_RELEASE = threading.Event()


def _hold():
    _RELEASE.wait(30)


def test_status_lists_what_is_not_on_disk_and_what_the_scheduler_runs(tmp_path, monkeypatch):
    from distributed import Client, LocalCluster

    extra = _toy_env(monkeypatch, tmp_path)
    rows = {r["item"]: r for r in campaign.status("toy", extra=extra)}
    assert [r["done"] for r in rows.values()] == [0, 0]
    assert rows["toy-results"]["waits_for"] == ["toy-train"]
    assert not any(r["running"] for r in rows.values())
    with LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cl, \
            Client(cl) as client:
        _RELEASE.clear()
        fut = client.submit(_hold, key="toy-train/steps to 6#test")
        while not client.processing()[next(iter(client.processing()))]:
            time.sleep(0.05)
        runner._publish(client)  # as a running campaign does
        rows = {r["item"]: r for r in campaign.status("toy", extra=extra)}
        assert rows["toy-train"]["running"] and not rows["toy-results"]["running"]
        assert "running now" in campaign.format_status(list(rows.values()), "cpu")
        _RELEASE.set()
        fut.cancel()
    # a scheduler that is gone: nothing runs
    assert not any(r["running"] for r in campaign.status("toy", extra=extra))
    campaign.run("toy-train", progress=False, log=lambda m: None, extra=extra,
                 engine=campaign.Engine(workers=1))
    assert not scheduler_file().exists()
    rows = {r["item"]: r for r in campaign.status("toy", extra=extra)}
    assert (rows["toy-train"]["done"], rows["toy-train"]["total"]) == (3, 3)
    assert rows["toy-results"]["done"] == 0 and rows["toy-results"]["waits_for"] == []


def test_fresh_checkout_status_reads_committed_files(tmp_path, monkeypatch):
    """Against an empty results and checkpoint store every registered item is pending; against
    the committed ones, an item is done exactly when its files are committed."""
    monkeypatch.setenv("STEGO_STATE", str(tmp_path / "state"))
    monkeypatch.setenv("STEGO_RESULTS", str(tmp_path / "empty-results"))
    monkeypatch.setenv("STEGO_CHECKPOINTS", str(tmp_path / "empty-checkpoints"))
    (tmp_path / "empty-checkpoints").mkdir()
    rows = campaign.status()
    assert rows and all(r["done"] < r["total"] for r in rows if r["item"] !=
                        "paper1-snapshot-pytorch-init")  # nothing to measure without its model
    monkeypatch.setenv("STEGO_RESULTS", str(REPO / "results"))
    monkeypatch.setenv("STEGO_CHECKPOINTS", str(REPO / "checkpoints"))
    rows = {r["item"]: r for r in campaign.status()}
    assert rows["paper1-threshold"]["done"] == rows["paper1-threshold"]["total"] == 1


def test_unknown_item_fails_with_one_line_listing_valid_ones(tmp_path):
    out = _campaign(tmp_path, "status", "--items", "paper1-train-natural,nope")
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "'nope'" in lines[0]
    assert "paper1-train-natural" in lines[0] and "toy-train" in lines[0]
    with pytest.raises(UnknownItemError, match="valid items"):
        select("nope", registry())


def test_select_adds_what_an_item_needs_in_dependency_order():
    reg = registry()
    assert select("paper1-sweep-natural", reg) == ["paper1-threshold", "paper1-train-natural",
                                                   "paper1-sweep-natural"]
    assert set(select("paper1", reg)) == {k for k in reg if k.startswith("paper1-")}


def test_training_slices_are_chained_and_their_checks_wait_for_the_model():
    chunks = registry()["paper1-train-adversarial"].chunks("cpu")
    slices = [c for c in chunks if c.name.startswith("steps ")]
    assert slices[0].after == () and all(b.after == (a.name,) for a, b in zip(slices, slices[1:]))
    assert all(c.after == (slices[-1].name,) for c in chunks[len(slices):]) and chunks[len(slices):]
    assert all(c.after == () for c in registry()["paper2-table1-c"].chunks("cpu"))


@pytest.mark.parametrize("args, message", [
    (("--workers", "0"), "--workers must be at least 1, got 0"),
    (("--threads", "0"), "--threads must be at least 1, got 0"),
    (("--slurm", "--scheduler-file", "f.json"), "cannot join another"),
])
def test_bad_engine_options_fail_with_a_usage_error(tmp_path, args, message):
    out = _campaign(tmp_path, "run", "--items", "toy", *args)
    assert out.returncode == 2 and message in out.stderr, out.stderr


def test_an_unreachable_scheduler_fails_with_its_address(tmp_path):
    out = _campaign(tmp_path, "run", "--items", "toy", "--scheduler-address",
                    "tcp://127.0.0.1:9")
    assert out.returncode == 2, out.stderr
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in out.stderr, out.stderr


def test_slurm_without_its_extra_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "dask_jobqueue", None)  # as if not installed
    with pytest.raises(RuntimeError, match=r"pip install 'stego_lib\[slurm\]'"):
        cluster.connect(campaign.Engine(slurm=True), "cpu", print)


def test_slurm_job_script_asks_for_the_gpus_and_declares_them():
    jobqueue = pytest.importorskip("dask_jobqueue")
    e = campaign.Engine(slurm=True, jobs=2, gpus_per_job=4, walltime="02:00:00",
                        partition="gpu")
    with jobqueue.SLURMCluster(**cluster.slurm_options(e), dashboard_address=None) as cl:
        script = cl.job_script()
    for line in ("#SBATCH --gres=gpu:4", "#SBATCH -p gpu", "#SBATCH -t 02:00:00",
                 "#SBATCH --cpus-per-task=4"):
        assert line in script, script
    for arg in ("--nworkers 4", "--nthreads 1", "--resources GPU=1"):
        assert arg in script, script
    cpu = cluster.slurm_options(campaign.Engine(slurm=True, workers=3))
    assert (cpu["processes"], cpu["cores"], cpu["job_extra_directives"]) == (3, 3, [])
    assert cpu["worker_extra_args"] == []


def test_each_gpu_worker_pins_one_gpu(monkeypatch):
    class Worker:
        name = "SLURMCluster-3-1"
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "4,5")
    cluster.GPUPin().setup(Worker())
    assert os.environ["CUDA_VISIBLE_DEVICES"] == "5"
    with pytest.raises(RuntimeError, match="no GPU is visible"):
        cluster.gpu_for(0, "")


def test_gpu_chunks_require_a_gpu_resource():
    class Client:
        def __init__(self):
            self.calls = []

        def scheduler_info(self):
            return {"workers": {"a": {"nthreads": 1}, "b": {"nthreads": 1}}}

        def submit(self, fn, *args, **kwargs):
            self.calls.append(kwargs)
            return object()
    cells = [Chunk(f"cell {i}", lambda: False, None) for i in range(3)]
    reg = {"x": Item("x", "three cells", lambda device: cells)}
    for device, resources in (("cuda", {"GPU": 1}), ("cpu", None)):
        client, inflight = Client(), {}
        runner._submit(client, runner._Queue(reg, ["x"], device, print), inflight, device, (),
                       None)
        assert len(client.calls) == 2  # one per worker thread
        assert all(c["resources"] == resources for c in client.calls)


def test_manifest_changes_of_workers_are_written_by_the_client(tmp_path):
    checkpoints.save(models.build("mnist_cnn"), "a", arch="mnist_cnn", config={}, data={},
                     metrics={}, root=tmp_path)
    on_disk = (tmp_path / "manifest.json").read_text()
    changes = []
    for i in range(2):  # two workers, each measuring one metric of the same checkpoint
        with checkpoints.deferred_manifest() as mine:
            checkpoints.update_metrics("a", {f"m{i}": i}, root=tmp_path)
            assert checkpoints.entry("a", root=tmp_path)["metrics"] == {f"m{i}": i}
        changes.append(mine)
    with checkpoints.deferred_manifest() as saved:
        checkpoints.save(models.build("mnist_cnn"), "b", arch="mnist_cnn", config={}, data={},
                         metrics={}, root=tmp_path)
        checkpoints.update_metrics("b", {"acc": 1.0}, root=tmp_path)
    assert (tmp_path / "manifest.json").read_text() == on_disk
    assert checkpoints.available(root=tmp_path) == ["a"]
    for c in changes + [saved]:
        checkpoints.apply_changes(c)
    assert checkpoints.entry("a", root=tmp_path)["metrics"] == {"m0": 0, "m1": 1}
    assert checkpoints.entry("b", root=tmp_path)["metrics"] == {"acc": 1.0}
    checkpoints.load("b", root=tmp_path)  # its weights match the record


def test_a_second_stop_signal_abandons(monkeypatch):
    logged = []
    stop = runner._Stop(logged.append)
    stop(signal.SIGTERM, None)
    assert stop.requested and len(logged) == 1
    with pytest.raises(KeyboardInterrupt):
        stop(signal.SIGTERM, None)
