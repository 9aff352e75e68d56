"""The repository's own documents: the README's generated blocks are current, and the conda
environment pins what pyproject.toml pins."""
import re
import tomllib
from pathlib import Path

import yaml

from stego_lib.campaign import readme

ROOT = Path(__file__).resolve().parent.parent


def _block(text: str, name: str) -> str:
    m = re.search(rf"<!-- {name}:start -->\n(.*?)\n?<!-- {name}:end -->", text, re.S)
    assert m, f"README has no {name} block"
    return m.group(1).rstrip("\n")


def test_readme_status_and_provenance_blocks_are_current():
    """Regenerate with `python -m stego_lib.campaign.readme README.md` after committing results."""
    text = (ROOT / "README.md").read_text()
    for name, body in readme.blocks().items():
        assert _block(text, name) == body, f"README's {name} block is stale"


def test_replace_block_refuses_a_text_without_the_block():
    import pytest
    with pytest.raises(ValueError, match="status:start"):
        readme.replace_block("no markers here", "status", "x")


def _requirements(extra: str, project: dict, seen=None) -> set[str]:
    seen = set() if seen is None else seen
    out = set()
    for req in project["optional-dependencies"][extra]:
        m = re.fullmatch(r"stego_lib\[(\w+)\]", req)
        if m:
            if m.group(1) not in seen:
                seen.add(m.group(1))
                out |= _requirements(m.group(1), project, seen)
        else:
            out.add(req.replace(" ", ""))
    return out


def test_environment_yml_pins_what_pyproject_pins():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {r.replace(" ", "") for r in project["dependencies"]} | _requirements("test", project)
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert {p for p in pip if p != "-e ."} == wanted


def test_ci_runs_the_targets_of_make_test_in_order():
    # CI times each target of `make test` on its own; the two lists must not drift apart.
    import re

    make = re.search(r"^test: (.+)$", (ROOT / "Makefile").read_text(), re.M).group(1).split()
    run = (ROOT / ".ci" / "run").read_text()
    first = re.findall(r"^timed (\w+)$", run, re.M)
    unit = re.search(r'^UNIT="(.+)"$', run, re.M).group(1).split()
    chain = re.search(r'^CHAIN="(.+)"$', run, re.M).group(1).split()
    assert first + unit + chain == make
