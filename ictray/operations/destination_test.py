"""*Test* a destination: from the values in a form (saved or not), or as saved.

The dialog tests what is typed, before anything is saved, with the very checks *Save* makes
(``settings.destinations.checked_options``); ``ictray dest test`` tests a saved destination.
"""

from __future__ import annotations

from ictray.destinations.base import load_plugin
from ictray.settings import Settings, destinations, validation


def run_test(
    settings: Settings,
    *,
    name: str,
    plugin: str,
    options: dict[str, str],
    current: str | None = None,
) -> str:
    """Check and test a destination described by form values; the one line the plugin says."""
    name = validation.check_name("name", name)
    full = destinations.checked_options(
        settings, plugin=plugin, options=options, current=current, keep_secrets=True
    )
    return f"destination {name!r}: {load_plugin(plugin)(name, full).test()}"


def run_saved_test(settings: Settings, name: str) -> str:
    """Test the saved destination ``name``."""
    dest = destinations.get_destination(name)
    return f"destination {dest.name!r}: {destinations.open_destination(settings, dest).test()}"
