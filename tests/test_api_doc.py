"""The API contract lives in the repository: docs/appliance-api.md. Every assumption the code
makes about the appliance points into it, and nothing points outside the repository."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "appliance-api.md"
POINTER = re.compile(r"docs/appliance-api\.md(?:#([a-z0-9-]+))?")
#: an assumption and its pointer belong to one comment or docstring: a few lines at most
NEARBY = 4


def _anchors() -> set[str]:
    anchors = set()
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            anchors.add(re.sub(r"\s", "-", re.sub(r"[^\w\s-]", "", title)))
    return anchors


def _sources() -> list[Path]:
    return sorted((ROOT / "ictray").rglob("*.py"))


def test_the_contract_is_documented_and_linked_from_the_readme() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert "[seen]" in text and "[assumed]" in text and "## Sources" in text
    assert "docs/appliance-api.md" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_assumption_in_the_code_points_into_the_document() -> None:
    missing = []
    for path in _sources():
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines):
            if "[assumed]" not in line:
                continue
            near = "\n".join(lines[max(0, number - 1) : number + NEARBY])
            if "docs/appliance-api.md" not in near:
                missing.append(f"{path.relative_to(ROOT)}:{number + 1}: {line.strip()}")
    assert not missing, "\n".join(missing)


def test_every_pointer_names_a_section_that_exists() -> None:
    anchors = _anchors()
    wrong = [
        f"{path.relative_to(ROOT)}: #{anchor}"
        for path in _sources()
        for anchor in POINTER.findall(path.read_text(encoding="utf-8"))
        if anchor and anchor not in anchors
    ]
    assert not wrong, f"no such section in {DOC.name}: {wrong}"


def test_nothing_points_outside_the_repository() -> None:
    found = [
        str(path.relative_to(ROOT))
        for folder in ("ictray", "tests", "docs")
        for path in (ROOT / folder).rglob("*")
        if path.suffix in (".py", ".md")
        and path.name != Path(__file__).name
        and re.search(r"CONTRACT\.md|shared/api|\.\./shared", path.read_text(encoding="utf-8"))
    ]
    assert not found, found
