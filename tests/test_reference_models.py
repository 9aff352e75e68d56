"""The authors' released ResNet-32s: pinned sha256 checked before loading, strict key renaming,
a clear error when a file is missing; and, where the data root holds them, their clean accuracy
on the exact-pixel test images as the data's README reports it."""
import shutil

import pytest
import torch

from stego_lib import checkpoints, data
from stego_lib.models import ResNetCIFAR
from stego_lib.models.reference import (RELEASED, ReferenceChecksumError,
                                        ReferenceModelMissingError, load_reference, load_state,
                                        reference_dir, rename_keys)


def _akamaster_state(model: ResNetCIFAR, prefix: str = "") -> dict:
    """Our model's weights under akamaster's names (the inverse of rename_keys)."""
    out = {}
    for k, v in model.state_dict().items():
        if k.startswith("normalize."):
            continue
        if k.startswith("layers."):
            i, rest = k[len("layers."):].split(".", 1)
            k = f"layer{int(i) // 5 + 1}.{int(i) % 5}.{rest}"
        elif k.startswith("fc."):
            k = "linear." + k[len("fc."):]
        out[prefix + k] = v.clone()
    return out


def test_rename_keys_maps_every_akamaster_name_onto_ours_exactly():
    torch.manual_seed(0)
    ours = ResNetCIFAR(depth=32)
    for prefix in ("", "module."):
        renamed = rename_keys(_akamaster_state(ours, prefix))
        own = {k for k in ours.state_dict() if not k.startswith("normalize.")}
        assert set(renamed) == own
        for k, v in renamed.items():
            assert torch.equal(v, ours.state_dict()[k])


@pytest.mark.parametrize("bad", ["layer4.0.conv1.weight", "layer1.5.conv1.weight",
                                 "fc1.weight", "module.linear2.bias"])
def test_rename_keys_rejects_names_outside_resnet32(bad):
    with pytest.raises(KeyError):
        rename_keys({bad: torch.zeros(1)})


def test_load_state_is_strict():
    torch.manual_seed(0)
    state = rename_keys(_akamaster_state(ResNetCIFAR(depth=32)))
    load_state(ResNetCIFAR(depth=32), dict(state))           # complete: loads
    del state["layers.3.bn2.running_var"]
    with pytest.raises(KeyError, match="not in the file"):
        load_state(ResNetCIFAR(depth=32), state)
    state["layers.3.bn2.running_var"] = torch.ones(16)
    state["extra.weight"] = torch.zeros(1)
    with pytest.raises(KeyError, match="not in the model"):
        load_state(ResNetCIFAR(depth=32), state)


def test_missing_file_names_the_path_and_the_source(tmp_path):
    with pytest.raises(ReferenceModelMissingError) as err:
        load_reference("c", root=tmp_path)
    msg = str(err.value)
    assert str(tmp_path / "reference-models" / "recoloradv" / "recoloradv.resnet32.pt") in msg
    assert "ReColorAdv" in msg and "pretrained_models" in msg


def test_unknown_row_is_a_value_error():
    with pytest.raises(ValueError, match="trades"):
        load_reference("trades")


def test_sha256_mismatch_rejects_the_file_before_it_is_read(tmp_path):
    folder = tmp_path / "reference-models" / "recoloradv"
    folder.mkdir(parents=True)
    torch.manual_seed(0)
    torch.save(_akamaster_state(ResNetCIFAR(depth=32)), folder / RELEASED["d"][0])
    with pytest.raises(ReferenceChecksumError, match="not the authors' file"):
        load_reference("d", root=tmp_path)


def test_checkpoint_names_reach_the_released_models():
    rec = checkpoints.entry("released/s+d")
    assert rec["file"] == "stadv_delta.resnet32.pt" and rec["sha256"] == RELEASED["s+d"][1]
    with pytest.raises(ValueError):
        checkpoints.entry("released/trades")


def _have_files() -> bool:
    return all((reference_dir() / f).is_file() for f, _ in RELEASED.values())


@pytest.mark.skipif(not _have_files(), reason="the released models are not under the data root")
def test_released_models_load_and_match_their_published_clean_accuracy():
    split = data.load_cifar10("test", exact_subset=True)
    # measured when the files were copied (data README), on the same 846 images
    expected = {"natural": 93.03, "c": 89.24, "d": 87.00, "s": 84.87, "c+s": 89.72,
                "c+d": 90.54, "s+d": 84.52, "c+s+d": 89.60, ("gray", "bt601"): 86.88,
                ("gray", "fitted"): 89.83}   # the last measured here (bw_conversion)
    for key, acc in expected.items():
        row, gray = key if isinstance(key, tuple) else (key, "fitted")
        model = load_reference(row, gray=gray)
        with torch.no_grad():
            got = 100 * (model(split.images).argmax(1) == split.labels).float().mean().item()
        assert got == pytest.approx(acc, abs=0.06), key


@pytest.mark.skipif(not _have_files(), reason="the released models are not under the data root")
def test_a_modified_copy_of_a_real_file_is_rejected(tmp_path):
    folder = tmp_path / "reference-models" / "recoloradv"
    folder.mkdir(parents=True)
    src = reference_dir() / RELEASED["c"][0]
    blob = bytearray(src.read_bytes())
    blob[-100] ^= 1                       # one bit of one weight
    (folder / src.name).write_bytes(bytes(blob))
    with pytest.raises(ReferenceChecksumError):
        load_reference("c", root=tmp_path)
    shutil.copy(src, folder / src.name)   # the true file loads
    assert load_reference("c", root=tmp_path) is not None


@pytest.mark.skipif(not _have_files(), reason="the released models are not under the data root")
def test_the_bw_measurement_reaches_the_released_network_past_its_front_end():
    from stego_lib.experiments.paper2 import bw_conversion as bw

    net = bw._network()
    x = data.load_cifar10("test", exact_subset=True).images[:8]
    for conv in bw.CONVERSIONS:
        with torch.no_grad():
            logits = bw._head(net, bw._network_input(x, conv, "before"))
        assert logits.shape == (8, 10) and torch.isfinite(logits).all()
    m, v = bw._bn_fit(net, bw._network_input(x, "bt601", "after", 0.74))
    assert 0 < m < 10 and 0 < v < 10


def test_batchnorm_counters_of_the_released_files(data_root):
    """Read from the verified files: the four models trained with ReColorAdv in the mix count
    10,000 batches, the other colour models 13,900, the undefended file keeps no counter."""
    from stego_lib.models import reference
    if not reference.reference_dir().exists():
        pytest.skip("the released models are not under the data root")
    counts = {row: reference.batchnorm_counter(row) for row in reference.RELEASED}
    assert counts["natural"] is None
    assert {counts[r] for r in ("c", "c+s", "c+d", "c+s+d")} == {10_000}
    assert {counts[r] for r in ("d", "s", "s+d", "gray")} == {13_900}
