"""``{glue:table}``: paste a glued table with a caption, numbered as a *table*.

myst-nb's ``{glue:figure}`` wraps whatever was glued in a figure, so a glued table would be
counted as a figure ("Fig. 3" for a table). This directive takes the same arguments and
options, but the node it returns is a ``glued_table``: Sphinx numbers it with the tables
("Table 3"), ``{numref}`` calls it a table, and its caption is drawn above the table::

    ```{glue:table} key
    :name: tab-something

    The caption.
    ```
"""
from __future__ import annotations

from docutils import nodes
from myst_nb.ext.glue.directives import PasteFigureDirective


class glued_table(nodes.figure):
    """A figure-like container holding a pasted table, enumerated as a table."""


class glued_table_caption(nodes.caption):
    """The caption of a ``glued_table``; it comes first, so it closes its own figcaption."""


class PasteTableDirective(PasteFigureDirective):
    def run(self):
        out = super().run()
        node = out[0] if out else None
        if isinstance(node, nodes.figure):
            # Change the class in place: the label registered by add_name points at this node.
            node.__class__ = glued_table
            node["classes"].append("glued-table")
            caps = [c for c in node.children if isinstance(c, nodes.caption)]
            for cap in caps:
                cap.__class__ = glued_table_caption
                node.remove(cap)
                node.insert(0, cap)
        return out


def _visit_table(self, node):
    self.visit_figure(node)


def _depart_table(self, node):
    self.body.append("</figure>\n")


def _visit_caption(self, node):
    self.visit_caption(node)


def _depart_caption(self, node):
    self.depart_caption(node)
    self.body.append("</figcaption>\n")


def setup(app):
    app.add_enumerable_node(glued_table, "table", html=(_visit_table, _depart_table))
    app.add_node(glued_table_caption, html=(_visit_caption, _depart_caption))
    app.add_directive_to_domain("glue", "table", PasteTableDirective)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
