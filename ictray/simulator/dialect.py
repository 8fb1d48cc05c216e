"""How the simulated appliance answers where the real API is not published.

Each setting is one form a real appliance may plausibly take (docs/appliance-api.md marks them
[assumed]); the client tolerates every form, and the tests run the simulator in each. Set them
when the server starts (``SimulatorServer(site, dialect=Dialect(...))``), from
``ictray simulate`` or with the ``simulator`` test marker (``dialect=Dialect(...)``).

=========================  =====================================================================
setting                    forms
=========================  =====================================================================
show_my_screen             ``list``: ``show_my_screen_recordings/show_my_screen_recording
                           [@instance]`` like command shell recordings (default); ``flat``:
                           session-level ``show_my_screen_recording_download_url`` and
                           ``_view_url``, one recording
extra_markup               sessions carry elements and attributes no reader knows, one of them
                           in a namespace of its own (a newer appliance version)
=========================  =====================================================================
"""

from __future__ import annotations

from dataclasses import dataclass

from ictray.appliance.xmlwrite import Variant

SHOW_MY_SCREEN_FORMS = ("list", "flat")


@dataclass(frozen=True)
class Dialect:
    """The forms this simulated appliance answers in (see the module documentation)."""

    show_my_screen: str = "list"
    extra_markup: bool = False

    def __post_init__(self) -> None:
        if self.show_my_screen not in SHOW_MY_SCREEN_FORMS:
            raise ValueError(
                f"show_my_screen must be one of {', '.join(SHOW_MY_SCREEN_FORMS)}, "
                f"not {self.show_my_screen!r}"
            )

    @property
    def variant(self) -> Variant:
        """How report documents are written."""
        return Variant(
            flat_show_my_screen=self.show_my_screen == "flat", extra_markup=self.extra_markup
        )
