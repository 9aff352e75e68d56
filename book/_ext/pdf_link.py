"""A link to the book's PDF in the footer of every page of the HTML book.

``make pdf`` prints the book to ``_build/pdf/book.pdf`` and copies it to the top of the HTML
build as ``book.pdf``. The theme's ``extra_footer`` is a fixed string, and a fixed relative
link would be right only on pages at one depth (``book/...``, ``notebooks/...``) and wrong on
the index and search pages at the top; so the link is written per page, relative to it. Only
the multi-page HTML gets it: the single page that is printed to the PDF does not link to
itself.
"""
from __future__ import annotations

PDF = "book.pdf"   # relative to the top of the HTML build


def _link_pdf(app, pagename, templatename, context, doctree):
    if app.builder.name != "html":
        return
    href = context["pathto"](PDF, 1)
    context["theme_extra_footer"] = f'<a href="{href}">The whole book as one PDF</a>'


def setup(app):
    app.connect("html-page-context", _link_pdf)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
