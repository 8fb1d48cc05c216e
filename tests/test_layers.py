"""The layers of DESIGN.md hold: each package imports only the packages below it.

Data flows one way: appliance → transfer → destinations, with the settings beside them; the
operations above those; the command line and the desktop (tray, dialogs) on top, and neither
of those two imports the other. A new import upward, or a new package, fails here until this
map says where it belongs.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "ictray"

#: The modules at the package's top level that everything may use.
BASE = {"errors", "datatypes", "names", "hosts", "logs", "_peewee"}

#: What each package (or top-level module) may import of ictray, besides BASE.
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "datatypes": set(),
    "names": set(),
    "hosts": set(),
    "logs": set(),
    "_peewee": set(),
    "notify": set(),
    "platform": set(),
    "appliance": set(),
    "simulator": {"appliance"},
    "destinations": {"appliance"},
    "settings": {"destinations", "notify", "platform"},
    "transfer": {"appliance", "destinations", "settings"},
    "scheduler": {"transfer", "settings", "notify", "platform"},
    "operations": {"appliance", "destinations", "settings", "transfer", "scheduler", "platform"},
    "demo": {"destinations", "settings", "transfer", "scheduler", "simulator"},
    "bench": {"appliance", "destinations", "settings", "transfer", "scheduler", "simulator"},
    "cli": {
        "appliance",
        "destinations",
        "settings",
        "transfer",
        "scheduler",
        "operations",
        "platform",
        "simulator",
        "demo",
        "bench",
        "tray",
    },
    "dialogs": {"appliance", "destinations", "settings", "transfer", "operations", "platform"},
    "tray": {"dialogs", "notify", "operations", "scheduler", "settings", "transfer"},
    "__main__": {"cli"},
    "__init__": set(),  # the package itself: its version, and peewee loaded lean
}

#: Single modules allowed one more arrow, each for its reason.
EXCEPTIONS: dict[str, set[str]] = {
    # The Windows service's executable: it hosts the scheduler and answers the command line.
    "platform/service_windows.py": {"scheduler", "transfer", "cli"},
    # The plugin kit writes the simulator's realistic sessions through a plugin under test.
    "destinations/testing.py": {"simulator"},
    # The command line starts the desktop app when it is given no command (``ictray``).
    "cli/__init__.py": {"tray"},
}


def _package(path: Path) -> str:
    parts = path.relative_to(ROOT).parts
    return parts[0] if len(parts) > 1 else parts[0].removesuffix(".py")


def _imports(path: Path) -> set[str]:
    """The ictray packages a module imports, wherever in the module the import stands."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "ictray" and len(parts) > 1:
                found.add(parts[1])
    return found


def test_no_package_imports_upward() -> None:
    wrong = []
    for path in sorted(ROOT.rglob("*.py")):
        package = _package(path)
        if package == "resources":
            continue
        assert package in ALLOWED, f"{package} is not in the layer map of {__file__}"
        relative = path.relative_to(ROOT).as_posix()
        allowed = ALLOWED[package] | BASE | EXCEPTIONS.get(relative, set()) | {package}
        for target in sorted(_imports(path) - allowed):
            wrong.append(f"{relative} imports ictray.{target}")
    assert wrong == [], "imports against the layers:\n" + "\n".join(wrong)


def test_the_front_ends_do_not_import_each_other() -> None:
    """The tray and the dialogs never import the command line, which reaches the desktop
    only to start it."""
    for package in ("tray", "dialogs"):
        for path in (ROOT / package).rglob("*.py"):
            assert "cli" not in _imports(path), path
    cli_to_desktop = {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "cli").rglob("*.py")
        if _imports(path) & {"tray", "dialogs"}
    }
    assert cli_to_desktop <= {"cli/__init__.py"}, cli_to_desktop
