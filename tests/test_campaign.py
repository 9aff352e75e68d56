"""The campaign runner: kill-and-resume gives the same arrays, status reads what is on disk,
bad item names fail with the valid ones listed."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from stego_lib import campaign
from stego_lib.campaign.core import UnknownItemError, registry, select

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent


def _env(tmp: Path, **extra) -> dict:
    env = dict(os.environ)
    env.update(STEGO_RESULTS=str(tmp / "results"), STEGO_CHECKPOINTS=str(tmp / "checkpoints"),
               STEGO_STATE=str(tmp / "state"), STEGO_CAMPAIGN_MODULES="campaign_toy",
               PYTHONPATH=os.pathsep.join([str(TESTS), str(REPO), env.get("PYTHONPATH", "")]),
               OMP_NUM_THREADS="1", CUDA_VISIBLE_DEVICES="")
    env.update(extra)
    (tmp / "checkpoints").mkdir(parents=True, exist_ok=True)
    return env


def _campaign(tmp: Path, *args, **extra):
    return subprocess.run([sys.executable, "-m", "stego_lib.campaign", *args, "--no-progress"]
                          if args[0] == "run" else
                          [sys.executable, "-m", "stego_lib.campaign", *args],
                          env=_env(tmp, **extra), cwd=tmp, capture_output=True, text=True,
                          timeout=300)


def _killed_mid_chunk(tmp: Path, pause_at: str) -> None:
    marker = tmp / "paused"
    proc = subprocess.Popen([sys.executable, "-m", "stego_lib.campaign", "run", "--items", "toy",
                             "--no-progress"], env=_env(tmp, TOY_PAUSE=str(marker),
                                                        TOY_PAUSE_AT=pause_at),
                            cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    while not marker.exists():
        assert proc.poll() is None, "the campaign ended before reaching the pause"
        assert time.monotonic() < deadline, "the campaign never reached the pause"
        time.sleep(0.1)
    proc.send_signal(signal.SIGKILL)
    proc.wait()


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
    for k in ckpt_a:
        assert torch.equal(ckpt_a[k], ckpt_b[k]), k


@pytest.mark.parametrize("pause_at", ["train 12", "save", "results 0.2"])
def test_sigkill_mid_chunk_then_resume_matches_uninterrupted(tmp_path, pause_at):
    clean, broken = tmp_path / "clean", tmp_path / "broken"
    out = _campaign(clean, "run", "--items", "toy")
    assert out.returncode == 0, out.stderr
    _killed_mid_chunk(broken, pause_at)
    # The killed chunk left nothing half-written: no temporary files, and it is not done.
    assert not list(broken.rglob("*.tmp"))
    status = _campaign(broken, "status", "--items", "toy")
    assert status.returncode == 0, status.stderr
    assert "done" not in status.stdout.splitlines()[3]  # toy-results is pending
    if pause_at == "save":  # killed before the checkpoint was stored: training is not done
        assert "done" not in status.stdout.splitlines()[2]
    out = _campaign(broken, "run", "--items", "toy")
    assert out.returncode == 0, out.stderr
    _assert_same_outputs(clean, broken)


def test_status_lists_exactly_what_is_not_on_disk(tmp_path, monkeypatch):
    env = _env(tmp_path)
    for k in ("STEGO_RESULTS", "STEGO_CHECKPOINTS", "STEGO_STATE", "STEGO_CAMPAIGN_MODULES"):
        monkeypatch.setenv(k, env[k])
    monkeypatch.syspath_prepend(str(TESTS))
    rows = {r["item"]: r for r in campaign.status("toy")}
    assert [r["done"] for r in rows.values()] == [0, 0]
    assert rows["toy-results"]["waits_for"] == ["toy-train"]
    assert not any(r["running"] for r in rows.values())
    from stego_lib._locks import try_lock
    from stego_lib.campaign.runner import _lock_path
    with try_lock(_lock_path("toy-train")) as mine:  # as a worker holds it while computing
        assert mine
        rows = {r["item"]: r for r in campaign.status("toy")}
        assert rows["toy-train"]["running"] and not rows["toy-results"]["running"]
        assert "running now" in campaign.format_status(list(rows.values()), "cpu")
    campaign.run("toy-train", progress=False, log=lambda m: None)
    rows = {r["item"]: r for r in campaign.status("toy")}
    assert (rows["toy-train"]["done"], rows["toy-train"]["total"]) == (3, 3)
    assert rows["toy-results"]["done"] == 0 and rows["toy-results"]["waits_for"] == []


def test_fresh_checkout_status_reads_committed_files(tmp_path, monkeypatch):
    """Against an empty results and checkpoint store every registered item is pending; against
    the committed ones, an item is done exactly when its files are committed."""
    monkeypatch.setenv("STEGO_STATE", str(tmp_path / "state"))
    monkeypatch.delenv("STEGO_CAMPAIGN_MODULES", raising=False)
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


def test_two_workers_compute_each_chunk_once_and_match_one_run(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    out = _campaign(one, "run", "--items", "toy")
    assert out.returncode == 0, out.stderr
    out = _campaign(two, "run", "--items", "toy", "--workers", "2", STEGO_CAMPAIGN_POLL="0.2")
    assert out.returncode == 0, out.stderr
    done = [line.split("] ", 1)[1].split(" done in")[0] for line in out.stdout.splitlines()
            if " done in " in line]
    assert sorted(done) == sorted(set(done)) and len(done) == 6, out.stdout
    workers = {line.split("]")[0].split()[-1] for line in out.stdout.splitlines()
               if " done in " in line}
    assert workers <= {"1", "2"}, out.stdout
    # The worker that found nothing it could start waited for the other instead of exiting.
    assert "another worker is computing it" in out.stdout, out.stdout
    _assert_same_outputs(one, two)


def test_bad_worker_counts_fail_with_a_usage_error(tmp_path):
    for args in (("--workers", "0"), ("--workers", "2", "--threads", "0")):
        out = _campaign(tmp_path, "run", "--items", "toy", *args)
        assert out.returncode == 2 and "must be at least 1" in out.stderr, out.stderr


def test_parallel_manifest_updates_are_all_kept(tmp_path):
    """Workers finishing at the same moment must not overwrite each other's manifest entries."""
    import threading

    from stego_lib import checkpoints, models
    for name in ("a", "b"):
        checkpoints.save(models.build("mnist_cnn"), name, arch="mnist_cnn", config={}, data={},
                         metrics={}, root=tmp_path)

    def write(name):
        for i in range(30):
            checkpoints.update_metrics(name, {f"m{i}": i}, root=tmp_path)
    threads = [threading.Thread(target=write, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for name in ("a", "b"):
        assert checkpoints.entry(name, root=tmp_path)["metrics"] == {f"m{i}": i for i in range(30)}


def test_a_stop_signal_repeated_at_once_is_one_request_and_a_later_one_abandons(monkeypatch):
    from stego_lib.campaign import runner
    now = [100.0]
    monkeypatch.setattr(runner.time, "monotonic", lambda: now[0])
    logged = []
    stop = runner._Stop(logged.append)
    stop(signal.SIGTERM, None)
    now[0] += 0.5
    stop(signal.SIGTERM, None)  # the same Ctrl-C or pkill, forwarded by the parent
    assert stop.requested and len(logged) == 1
    now[0] += 5
    with pytest.raises(KeyboardInterrupt):
        stop(signal.SIGTERM, None)
