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
recording_instance_base    the ``instance`` the recording report gives the first recording the
                           session report lists as instance 0: ``0`` (default) or ``1``; with
                           ``1``, ``instance=0`` is refused
recording_content_type     ``video``: ``video/x-flv`` or ``video/mp4`` (default); ``named``:
                           ``application/octet-stream`` with a file name in
                           ``Content-Disposition``; ``bare``: ``application/octet-stream`` alone
=========================  =====================================================================
"""

from __future__ import annotations

from dataclasses import dataclass

from ictray.appliance.xmlwrite import Variant

SHOW_MY_SCREEN_FORMS = ("list", "flat")
RECORDING_CONTENT_TYPES = ("video", "named", "bare")


@dataclass(frozen=True)
class Dialect:
    """The forms this simulated appliance answers in (see the module documentation)."""

    show_my_screen: str = "list"
    extra_markup: bool = False
    recording_instance_base: int = 0
    recording_content_type: str = "video"

    def __post_init__(self) -> None:
        for name, choices in (
            ("show_my_screen", SHOW_MY_SCREEN_FORMS),
            ("recording_content_type", RECORDING_CONTENT_TYPES),
            ("recording_instance_base", (0, 1)),
        ):
            if getattr(self, name) not in choices:
                raise ValueError(
                    f"{name} must be one of {', '.join(map(str, choices))}, "
                    f"not {getattr(self, name)!r}"
                )

    @property
    def variant(self) -> Variant:
        """How report documents are written."""
        return Variant(
            flat_show_my_screen=self.show_my_screen == "flat", extra_markup=self.extra_markup
        )
