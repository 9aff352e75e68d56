import json

import pytest
import torch

from stego_lib import checkpoints, models


def _save(tmp_path, name="m"):
    torch.manual_seed(0)
    model = models.build("mnist_cnn")
    rec = checkpoints.save(model, name, arch="mnist_cnn", config={"epochs": 0},
                           data={"dataset": "none"}, metrics={}, root=tmp_path)
    return model, rec


def test_roundtrip_and_manifest(tmp_path):
    model, rec = _save(tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["checkpoints"]["m"]["sha256"] == rec["sha256"]
    assert rec["torch"] == torch.__version__ and rec["dtype"] == "float16"
    assert rec["cpu_capability"] == str(torch.backends.cpu.get_cpu_capability())
    assert rec["numpy"] and rec["cpu_model"] and rec["device"]
    loaded = checkpoints.load("m", root=tmp_path)
    x = torch.rand(4, 1, 28, 28)
    assert not loaded.training
    assert torch.allclose(loaded(x), model.eval()(x), atol=1e-2)  # float16 storage


def test_tampered_file_is_refused(tmp_path):
    _save(tmp_path)
    path = tmp_path / "m.pt"
    data = bytearray(path.read_bytes())
    data[-100] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(checkpoints.ChecksumError, match="sha256"):
        checkpoints.load("m", root=tmp_path)


def test_foreign_pickle_never_runs(tmp_path):
    import pickle

    class Evil:
        def __reduce__(self):
            return (exec, ("raise SystemExit('code ran')",))

    _, rec = _save(tmp_path)
    path = tmp_path / "m.pt"
    path.write_bytes(pickle.dumps(Evil()))
    # Even with a matching checksum, weights_only loading refuses the payload.
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    manifest["checkpoints"]["m"]["sha256"] = checkpoints.sha256_file(path)
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(checkpoints.ChecksumError, match="not a loadable state dict"):
        checkpoints.load("m", root=tmp_path)


def test_unknown_and_missing(tmp_path):
    _save(tmp_path)
    with pytest.raises(checkpoints.CheckpointNotFoundError, match="available: m"):
        checkpoints.load("nope", root=tmp_path)
    (tmp_path / "m.pt").unlink()
    with pytest.raises(checkpoints.CheckpointNotFoundError, match="missing"):
        checkpoints.load("m", root=tmp_path)


def test_unknown_architecture():
    with pytest.raises(ValueError, match="'mnist_cnn'"):
        models.build("vgg")


def test_sha_is_the_manifest_record_or_none(tmp_path):
    _save(tmp_path)
    assert checkpoints.sha("m", root=tmp_path) == checkpoints.entry("m", root=tmp_path)["sha256"]
    assert checkpoints.sha("nope", root=tmp_path) is None
