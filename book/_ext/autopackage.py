"""``{autopackage} stego_lib``: an ``automodule`` for every public module of a package.

The modules are found by walking the package, so a new module appears in the API reference
without editing the page. Each module lists its public names: those in its ``__all__``, or,
without one, the functions, classes and upper-case constants it defines itself. A name that
a package re-exports from one of its public submodules is documented only there, so no
object is described twice. ``__main__`` modules and private modules (a name part starting
with an underscore) are skipped: importing them would run a command or document internals.
"""
from __future__ import annotations

import importlib
import inspect
import pkgutil

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles


def _public_modules(package: str) -> list[str]:
    pkg = importlib.import_module(package)
    names = [package] + [m.name for m in pkgutil.walk_packages(pkg.__path__, package + ".")]
    return sorted(n for n in names
                  if not any(part.startswith("_") for part in n.split(".")))


def _defined_in(obj, default: str) -> str:
    return getattr(obj, "__module__", None) or default


def _members(name: str, documented: set[str]) -> list[str]:
    mod = importlib.import_module(name)
    if hasattr(mod, "__all__"):
        candidates = list(mod.__all__)
    else:
        candidates = [k for k, v in vars(mod).items() if not k.startswith("_") and (
            ((inspect.isfunction(v) or inspect.isclass(v)) and v.__module__ == name)
            or (k.isupper() and not inspect.ismodule(v)))]
    out = []
    for k in candidates:
        obj = getattr(mod, k)
        home = _defined_in(obj, name) if (inspect.isfunction(obj) or inspect.isclass(obj)) \
            else name
        if home != name and home in documented:
            continue  # documented where it is defined
        out.append(k)
    return out


class AutoPackage(SphinxDirective):
    required_arguments = 1
    has_content = False

    def run(self):
        package = self.arguments[0]
        modules = _public_modules(package)
        documented = set(modules)
        lines = []
        for name in modules:
            members = _members(name, documented)
            lines += [name, "-" * len(name), "", f".. automodule:: {name}"]
            lines += [f"   :members: {', '.join(members)}"] if members else ["   :no-members:"]
            lines += ["   :undoc-members:", "   :show-inheritance:", ""]
        content = StringList(lines, source="autopackage")
        container = nodes.section()
        container.document = self.state.document
        nested_parse_with_titles(self.state, content, container)
        return container.children


def setup(app):
    app.add_directive("autopackage", AutoPackage)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
