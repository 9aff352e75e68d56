"""The figures page's glued values: what was attacked and how, and the five attacks on the
released D-trained model, each part a ``{glue name: value}`` dict, so the notebook keeps its
parameters, a call and the glue.

Example::

    >>> defended("smoke")["p2f_def_table"]       # the defended run is shown at paper only
    '(not computed yet)'
"""
from __future__ import annotations

import numpy as np

from .. import checkpoints, data, papers
from ..cache import CacheMiss, GPURequiredError
from ..notebook import rerun_box
from ..plotting import paper2 as plots
from ..plotting.points import with_points
from . import paper2_figures, paper2_figures_items
from .paper2 import LABELS
from .paper2 import released as rel

__all__ = ["defended", "overview"]


def _accuracy(arrays: dict, pred: str) -> float:
    return 100 * float(np.mean(arrays[pred] == arrays["labels"]))


def _model_glues(cfg: dict) -> dict:
    """The attacked model: its name, training and clean accuracies, and the paper's."""
    rec = checkpoints.entry(cfg.model)
    train_cfg, train_data = rec["config"], rec["data"]["train"]
    recipe = train_cfg.get("recipe", train_cfg)   # Table 1 models keep their recipe apart
    steps = train_cfg.get("steps_done", train_cfg.get("steps"))
    if train_cfg.get("table1_row"):
        note = (f"It is the model of Table 1's row '{train_cfg['table1_row']}', so the "
                f"accuracies below can be set beside the paper's values for that row.")
    else:
        note = ("It is a real but weak classifier: enough to show what the perturbations "
                "look like, not to reproduce the paper's Table 1.")
    return {
        "p2f_model": checkpoints.plain_name(cfg.model),
        "p2f_train": f"{recipe['epochs']} epochs ({steps:,} SGD steps at batch "
                     f"{recipe['batch_size']}) on the {train_data['count']:,} training images "
                     f"of the JPEG copy of CIFAR-10, on a CPU",
        "p2f_model_note": note,
        "p2f_model_acc": f"{100 * rec['metrics']['clean_accuracy_test_jpeg_10000']:.1f} %",
        "p2f_model_acc_exact": f"{100 * rec['metrics']['clean_accuracy_test_exact_846']:.1f} %",
        "p2f_paper_clean": f"{papers.paper2_accuracy('Undefended', 'None'):.1f} %",
    }


def overview(shown, profile: str, cfg: dict) -> dict:
    """The re-run box, the scale, the attacked model and the accuracies under each attack."""
    first = next(iter(shown.result.values()))
    # accuracy under each attack, on all attacked images
    acc = {name: _accuracy(r["arrays"], "adv_pred") for name, r in shown.result.items()}
    weakest, strongest = max(acc, key=acc.get), min(acc, key=acc.get)
    out = {"p2f_rerun": rerun_box("paper2_figures", profile=profile,
                                  results="results/paper2_figures/",
                                  command=paper2_figures.COMMAND),
           "p2f_note": shown.note, "p2f_profile": shown.profile,
           "p2f_n": f"{len(first['arrays']['labels']):,}",
           "p2f_iters": str(cfg.iterations),
           "p2f_data": data.plain_source(first["meta"]["provenance"]["source"])}
    out.update(_model_glues(cfg))
    out.update({
        "p2f_clean": f"{_accuracy(first['arrays'], 'clean_pred'):.1f} %",
        "p2f_acc_range": f"between {acc[strongest]:.1f} % ({strongest}) and "
                         f"{acc[weakest]:.1f} % ({weakest})",
        "p2f_paper_range": ", ".join(f"{n} {papers.paper2_accuracy('Undefended', n):.1f} %"
                                     for n in shown.result)})
    return out


def defended(profile: str) -> dict:
    """The five attacks on the authors' released D-trained model beside its Table 1 cells,
    and a figure of the first shown image that D alone leaves correct and C+D fools."""
    run, model = None, paper2_figures_items.RELEASED_MODEL
    if profile == "paper":
        try:
            run = paper2_figures.run(paper2_figures.make_config("paper", model=model),
                                     mode="cache-only", progress=False)
        except (CacheMiss, GPURequiredError):
            run = None
    if run is None:
        return {"p2f_def_table": "(not computed yet)",
                "p2f_def_text": "The run on the released D-trained model has not been "
                                "computed yet; at profile smoke and quick this page does not "
                                "run it.",
                "p2f_def_fig": "(not computed yet)"}
    row = model.split("/", 1)[1]
    label, t1 = LABELS[row], rel.result()
    rows = paper2_figures.beside_table1(run, None if t1 is None else t1.correct.get(row),
                                        {a: papers.paper2_accuracy(label, a) for a in run})
    d0 = next(iter(run.values()))["arrays"]
    names = [n for n in ("D", "C", "C+D") if n in run]
    ok = {n: run[n]["arrays"]["adv_pred"] == run[n]["arrays"]["labels"] for n in names}
    pick = next((i for i in range(len(d0["shown"])) if "D" in ok and "C+D" in ok
                 and ok["D"][i] and not ok["C+D"][i]), 0)
    return {"p2f_def_table": plots.beside_table1_table(rows),
            "p2f_def_text": paper2_figures.defended_text(
                rows, _accuracy(d0, "clean_pred"), len(d0["labels"]),
                papers.paper2_accuracy(label, "None")),
            "p2f_def_fig": with_points(plots.perturbation_grid(run, names, index=pick),
                                       "perturbations-released")}
