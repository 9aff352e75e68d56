"""Each notebook page offers its notebook as a runnable ``.ipynb``.

The notebooks are kept as MyST text (``notebooks/*.md``), which Jupyter cannot open and
papermill cannot run. For every page built from that folder this writes the jupytext
conversion beside the page's source, ``_sources/notebooks/<name>.ipynb``, and sets the
theme's ``ipynb_source`` so that the page's download menu offers it next to the ``.md``.
The conversion keeps the cell tags, so the first code cell stays tagged ``parameters`` and
``papermill <name>.ipynb out.ipynb -p profile quick`` works on the file as downloaded. It
holds no outputs: it is the notebook to run, not a copy of the page.
"""
from __future__ import annotations

from pathlib import Path

import jupytext

FOLDER = "notebooks/"


def _offer_notebook(app, pagename, templatename, context, doctree):
    if not pagename.startswith(FOLDER) or doctree is None:
        return
    source = Path(app.env.doc2path(pagename))
    if source.suffix != ".md":
        return
    notebook = jupytext.read(source)
    target = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    jupytext.write(notebook, target, fmt="ipynb")
    context["ipynb_source"] = f"{pagename}.ipynb"


def setup(app):
    # Before the theme turns ipynb_source into a download button (its priority is 501).
    app.connect("html-page-context", _offer_notebook, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
