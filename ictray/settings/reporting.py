"""Start what a settings file asks of the program's reporting: its logs, and its error mails.

The commands and the desktop app start their logging here, once they have opened the
settings file.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ictray.logs import add_handler, setup_logging
from ictray.notify import ErrorMailer, unencrypted_login_refusal
from ictray.settings import preferences
from ictray.settings.store import Settings


def log_folder(settings: Settings, fallback: Path | None = None) -> Path:
    """Where the logs of these settings go: the folder Application Settings name, else
    ``fallback`` when given (the Windows service runs as another user than the one who set it
    up, and writes where that user's app reads), else the one that goes with the file."""
    if fallback is not None and not settings.app().log_folder:
        return fallback
    return preferences.log_folder(settings)


def start_logging(
    settings: Settings, *, console: bool = True, fallback_folder: Path | None = None
) -> ErrorMailer | None:
    """Write to the IC and Service logs of these settings, and mail errors when enabled.

    The commands, the service and the desktop app all start their logging here
    (``fallback_folder``: see :func:`log_folder`).
    """
    app = settings.app()
    setup_logging(
        log_folder(settings, fallback_folder),
        removal_days=app.log_removal_days,
        console=console,
    )
    for notice in settings.notices:
        logging.getLogger("ictray.settings").warning("%s", notice)
    if not settings.notify().enabled:
        return None
    config = preferences.smtp_config(settings)
    refusal = unencrypted_login_refusal(config)
    if refusal is not None:  # settings from before the login had to be allowed
        logging.getLogger("ictray.notify").warning(
            "errors will not be mailed: %s", refusal, extra={"no_mail": True}
        )
    mailer = ErrorMailer(config)
    add_handler(mailer)
    return mailer
