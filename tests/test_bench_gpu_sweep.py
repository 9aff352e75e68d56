"""The GPU sweep benchmark runs on a CPU at a tiny size and prints its table (the same script
a GPU runs at full size)."""
import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_gpu_sweep.py"


def _bench():
    spec = importlib.util.spec_from_file_location("bench_gpu_sweep", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_the_benchmark_prints_its_table_on_a_cpu(tmp_path, capsys, one_thread):
    pytest.importorskip("torchattacks")
    out = tmp_path / "bench.json"
    assert _bench().main(["--device", "cpu", "--batches", "8,16", "--steps", "2",
                          "--chunk-batch", "4", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "stream PGD" in text and "torchattacks" in text
    rows = json.loads(out.read_text())["rows"]
    assert [r["batch"] for r in rows] == [8, 16]
    assert all(r[k] > 0 for r in rows for k in ("stream", "stream PGD", "chunks", "torchattacks"))
    assert all(r["bound_share"] is None for r in rows)   # no FLOP bound is claimed for a CPU


def test_bad_batches_are_refused(capsys):
    with pytest.raises(SystemExit):
        _bench().main(["--device", "cpu", "--batches", "8,x"])
    assert "--batches must be integers" in capsys.readouterr().err
