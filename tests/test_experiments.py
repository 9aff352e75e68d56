import ast
import re
from pathlib import Path

import pytest

from stego_lib import cache
from stego_lib.experiments import best_available, check_overrides, data_overview
from stego_lib.profiles import check_profile, fallbacks


def test_profiles():
    assert fallbacks("paper") == ("paper", "quick", "smoke")
    with pytest.raises(ValueError, match="'smoke', 'quick', 'paper'"):
        check_profile("full")


def test_unknown_parameter_is_named():
    with pytest.raises(ValueError, match="'colour'.*expected some of"):
        check_overrides({"colour": 1}, ("datasets", "limit"))
    with pytest.raises(ValueError, match="unknown parameter"):
        data_overview.make_config("smoke", colour=1)


def test_best_available_falls_back_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(cache.torch.cuda, "is_available", lambda: False)
    monkeypatch.delenv("STEGO_ALLOW_CPU", raising=False)
    rc = cache.ResultsCache(tmp_path)

    def make_config(profile):
        return {"profile": profile}

    def run(config, mode):
        needs_gpu = config["profile"] == "paper"
        return cache.cached("toy", config, "1", lambda: ({"v": [1]}, {}), needs_gpu=needs_gpu,
                            command="gpu-cmd", mode=mode, cache=rc).meta["config"]["profile"]

    shown = best_available(make_config, run, "paper")
    # No quick entry is committed, so it drops to smoke, and the note says why.
    assert shown.profile == "smoke" and shown.requested == "paper"
    assert "Shown at profile 'smoke'" in shown.note and "gpu-cmd" in shown.note
    cache.cached("toy", {"profile": "quick"}, "1", lambda: ({"v": [2]}, {}), needs_gpu=False,
                 command="", cache=rc)
    assert best_available(make_config, run, "paper").profile == "quick"


def test_data_overview_smoke():
    res = data_overview.run(data_overview.make_config("smoke", limit=20))
    arrays = res[("mnist", "test")]["arrays"]
    assert int(arrays["count"]) == 20 and arrays["class_counts"].sum() == 20


def test_notebook_parameter_check():
    from stego_lib.notebook import check_parameters

    ns = {"__name__": "__main__", "_i1": "", "In": [], "profile": "smoke", "seed": 0,
          "check_parameters": check_parameters, "pytest": pytest}
    check_parameters(ns, ["profile", "seed", "limit"])
    ns["colour"] = 1
    with pytest.raises(ValueError, match="unknown parameter.*'colour'.*expected some of"):
        check_parameters(ns, ["profile", "seed", "limit"])


NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.md"))


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_a_notebook_checks_exactly_the_parameters_it_declares(nb):
    # The parameters table of the book is read from the parameters cell; check_parameters
    # must name the same list, or a declared parameter would be refused (or a stray accepted).
    from stego_lib.notebook import parameters
    declared = [name for name, _, _ in parameters(nb)]
    call = re.search(r"check_parameters\(globals\(\), (\[.*?\])\)", nb.read_text(), re.S)
    assert call is not None, f"{nb.name} never calls check_parameters"
    assert ast.literal_eval(call.group(1)) == declared
    assert declared[0] == "profile"


def test_parameters_refuses_a_cell_papermill_cannot_override(tmp_path):
    from stego_lib.notebook import parameters
    nb = tmp_path / "x.md"
    nb.write_text("```{code-cell} ipython3\n:tags: [parameters]\n\nimport os\n```\n")
    with pytest.raises(ValueError, match="may only assign names"):
        parameters(nb)
    nb.write_text("```{code-cell} ipython3\nprofile = 'paper'\n```\n")
    with pytest.raises(ValueError, match="no cell tagged 'parameters'"):
        parameters(nb)


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_a_page_enters_its_experiment_through_page_result(nb):
    # One entry style: a page never assembles best_available or run itself.
    text = nb.read_text()
    assert "best_available(" not in text
    assert not re.search(r"\b(imagenet|paper2_figures|data_overview|perceptual)\.run\(config", text)


def test_one_model_missing_error_and_the_note_names_it():
    from stego_lib.experiments import _why, beyond, paper1, perceptual

    assert paper1.ModelMissingError is beyond.ModelMissingError is perceptual.ModelMissingError \
        is cache.ModelMissingError
    assert _why(cache.ModelMissingError("the madry model")).startswith(
        "a model it needs is not committed yet (the madry model")
    assert _why(cache.GPURequiredError("run x")).startswith("its results are not committed")
