"""The dependency rule: kiosk, exhibit_agent and controller import kepu_contracts and content_packs, never each other."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APPS = ("kiosk", "exhibit_agent", "controller")
# What each top-level package may import from the project.
ALLOWED = {
    "kiosk": {"kiosk", "kepu_contracts", "content_packs"},
    "exhibit_agent": {"exhibit_agent", "kepu_contracts", "content_packs"},
    "controller": {"controller", "kepu_contracts", "content_packs"},
    "kepu_contracts": {"kepu_contracts", "content_packs"},
    "content_packs": {"content_packs"},
}
PROJECT = set(ALLOWED)


def project_imports(path: Path) -> list[tuple[int, str]]:
    """(line, top-level package) for every import of a project package in `path`, lazy ones included."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [(node.lineno, name.split(".")[0]) for name in names if name.split(".")[0] in PROJECT]
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_what_the_rule_allows(package):
    offences = [
        f"{path.relative_to(ROOT)}:{line} imports {target}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for line, target in project_imports(path)
        if target not in ALLOWED[package]
    ]
    assert not offences, "\n".join(offences)


def test_contracts_need_nothing_but_the_standard_library():
    """A Pi installs kepu_contracts with the kiosk and the agent: it must not pull in a web or UI stack."""
    third_party = {"pygame", "paho", "fastapi", "sqlite_utils", "openpyxl", "uvicorn", "jinja2", "httpx", "serial"}
    offences = []
    for path in sorted((ROOT / "kepu_contracts").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                offences += [f"{path.name}: {n}" for n in names if n.split(".")[0] in third_party]
    assert not offences, offences


def test_the_rule_test_sees_a_violation(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from kiosk.app import KioskApp\n    import controller.store.db\n")
    assert project_imports(bad) == [(2, "kiosk"), (3, "controller")]


def test_a_pi_installs_no_web_stack_and_a_controller_no_pygame():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]

    def resolve(name: str) -> set[str]:
        out = set()
        for req in extras[name]:
            if req.startswith("kepu["):
                for sub in req[5:-1].split(","):
                    out |= resolve(sub)
            else:
                out.add(req.split(">")[0].split("=")[0].split("<")[0].strip().lower())
        return out

    base = {r.split(">")[0].split("<")[0].strip().lower() for r in project["dependencies"]}
    exhibit = base | resolve("exhibit")
    assert {"pygame", "paho-mqtt", "pyserial"} <= exhibit
    assert not exhibit & {"fastapi", "uvicorn", "openpyxl", "sqlite-utils", "jinja2"}, exhibit
    assert "pygame" not in base | resolve("controller")
