"""Add each script to a page once.

sphinx-thebe (which Jupyter Book always loads) and sphinx-togglebutton register their
inline configuration scripts twice, once with no file name and once with an empty one, so
every page declares ``const THEBE_JS_URL`` twice and the browser reports a SyntaxError.
This drops the repeats from a page's scripts, keeping the first of each.
"""
from __future__ import annotations


def _key(js) -> tuple:
    attrs = getattr(js, "attributes", {}) or {}
    return (getattr(js, "filename", None) or "", tuple(sorted(attrs.items())))


def _dedupe(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, kept = set(), []
    for js in scripts:
        key = _key(js)
        if key not in seen:
            seen.add(key)
            kept.append(js)
    context["script_files"] = kept


def setup(app):
    app.connect("html-page-context", _dedupe, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
