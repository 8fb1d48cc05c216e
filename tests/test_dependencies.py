"""Every runtime dependency declared in setup.cfg is imported by ictray's code: none is carried
for nothing."""

from __future__ import annotations

import ast
import configparser
import re
from importlib.metadata import packages_distributions
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]


def _declared() -> list[Requirement]:
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    lines = config["options"]["install_requires"].strip().splitlines()
    return [Requirement(line) for line in lines if line.strip()]


def _imported() -> set[str]:
    """The top-level names of every module ictray's code imports (anywhere in a module)."""
    names: set[str] = set()
    for path in (ROOT / "ictray").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
    return names


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_declared_dependency_is_imported() -> None:
    providers: dict[str, set[str]] = {}
    for module, distributions in packages_distributions().items():
        for distribution in distributions:
            providers.setdefault(_normal(distribution), set()).add(module)
    imported = _imported()
    unused = []
    for requirement in _declared():
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue  # not for this platform (pywin32 off Windows)
        modules = providers.get(_normal(requirement.name), set())
        assert modules, f"{requirement.name} is declared but not installed here"
        if not modules & imported:
            unused.append(requirement.name)
    assert unused == [], f"declared in setup.cfg but imported nowhere in ictray: {unused}"
