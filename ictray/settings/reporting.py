"""Start what a settings file asks of the program's reporting: its logs, and its error mails.

The commands and the desktop app start their logging here, once they have opened the
settings file.
"""

from __future__ import annotations

import logging

from ictray.logs import add_handler, setup_logging
from ictray.notify import ErrorMailer, unencrypted_login_refusal
from ictray.settings import preferences
from ictray.settings.store import Settings


def start_logging(settings: Settings, *, console: bool = True) -> ErrorMailer | None:
    """Write to the IC and Service logs of these settings, and mail errors when enabled.

    The commands, the service and the desktop app all start their logging here.
    """
    app = settings.app()
    setup_logging(
        preferences.log_folder(settings), removal_days=app.log_removal_days, console=console
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
