"""Notification Settings: e-mail through SMTP whenever an error is logged, with *Send Test*.

*Send Test* mails with the values typed, checked as *Save* checks them, and saves nothing:
only *Save* writes, and *Cancel* leaves the settings as they were.
"""

from __future__ import annotations

import tkinter as tk

from ictray import notify
from ictray.dialogs import messages
from ictray.dialogs.context import NOTIFY_SETTINGS, Controller
from ictray.dialogs.form import Form, attempt
from ictray.dialogs.widgets import (
    ERROR_COLOUR,
    OK_COLOUR,
    PAD,
    Window,
    ask_unsaved,
    reserved_label,
)
from ictray.dialogs.worker import run_in_background
from ictray.settings import preferences
from ictray.settings.sites import KEEP, Keep

SECURITY_LABELS = {
    "none": "none (plain SMTP)",
    "starttls": "starttls (upgrade to TLS)",
    "ssl": "ssl (TLS from the start)",
}


class NotifySettingsDialog(Window):
    def __init__(self, master: tk.Misc, controller: Controller) -> None:
        super().__init__(
            master, "Notification Settings", name=NOTIFY_SETTINGS, state=controller.window_state
        )
        self.controller = controller
        self.settings = controller.settings
        current = self.settings.notify()
        self.form = Form(self.body)
        self.form.pack(fill=tk.X)
        form = self.form
        form.check(
            "enabled",
            "Notifications",
            "Send an e-mail whenever ictray logs an error (at most one mail every few minutes, "
            "grouping the errors).",
            value=current.enabled,
            text="Send e-mail when an error is logged",
        )
        form.entry(
            "smtp host",
            "SMTP Server",
            "The mail server's host name, without the port.",
            value=current.smtp_host,
        )
        form.entry(
            "port",
            "Port",
            "The SMTP port: 25 (none), 587 (starttls) or 465 (ssl) usually.",
            value=str(current.smtp_port),
        )
        form.combo(
            "security",
            "Security",
            "How the connection is protected: none, starttls (upgrade to TLS) or ssl.",
            list(SECURITY_LABELS.values()),
            value=SECURITY_LABELS.get(current.security, current.security),
        )
        form.check(
            "allow unencrypted auth",
            "",
            "Only for a mail server on a network you trust: with security none the user name "
            "and password travel unencrypted, readable by anyone who can watch the network.",
            value=current.allow_unencrypted_auth,
            text="Allow login without encryption (sends the password readable)",
        )
        form.entry(
            "username",
            "Username",
            "The SMTP login; leave empty when the server needs none.",
            value=current.username,
        )
        form.entry(
            "smtp password",
            "Password",
            "The SMTP password, kept in the credential store. Leave empty to keep the stored one.",
            secret=True,
            aliases=("password",),
        )
        form.hint("stored: leave empty to keep it" if current.has_password else "")
        form.check(
            "clear password",
            "",
            "Log in without a password from now on.",
            text="Remove the stored password",
        )
        form.enable_row("clear password", current.has_password)
        form.entry("from", "From", "The sender address of the notifications.", value=current.sender)
        form.entry(
            "to",
            "To",
            "One or more recipient addresses, separated by commas.",
            value=", ".join(current.recipients),
        )
        self.buttons = self.button_row(
            self.body,
            [("Send Test", self.send_test), ("Save", self.save), ("Cancel", self.close_now)],
            default="Save",
        )
        self.test_result = reserved_label(self.body, 2, side=tk.BOTTOM, pady=(PAD, 0))
        self.form.mark_loaded()
        self.settle()

    def _fields(self) -> dict[str, object]:
        """The form's values as the settings functions take them."""
        values = self.form.values()
        password: str | Keep | None = values["smtp password"] or KEEP
        if password is KEEP and self.form.flag("clear password"):
            password = None
        return {
            "host": values["smtp host"],
            "port": values["port"],
            "security": values["security"].split(" ", 1)[0],
            "username": values["username"],
            "password": password,
            "sender": values["from"],
            "recipients": [part for part in values["to"].split(",") if part.strip()],
            "allow_unencrypted_auth": self.form.flag("allow unencrypted auth"),
        }

    def store(self) -> None:
        fields = self._fields()
        preferences.set_notify(self.settings, enabled=self.form.flag("enabled"), **fields)  # type: ignore[arg-type]

    def save(self) -> bool:
        if not attempt(self, [self.form], self.store):
            return False
        self.form.mark_loaded()
        self.controller.logging_changed()
        self.controller.settings_changed()
        self.close_now()
        return True

    def close(self) -> None:
        """Escape or the close box: edits not saved are asked about."""
        ask_unsaved(self, self.form.dirty, "the notification settings", self.save, self.close_now)

    def send_test(self) -> None:
        """*Send Test*: mail the recipients now with the values typed; nothing is saved."""
        found: list[notify.SmtpConfig] = []

        def prepare() -> None:
            found.append(preferences.smtp_config_for(self.settings, **self._fields()))  # type: ignore[arg-type]

        if not attempt(self, [self.form], prepare):
            return
        config = found[0]
        self.buttons["Send Test"].state(["disabled"])
        self.test_result.configure(
            text=f"Sending a test message through {config.host}:{config.port}…", foreground=""
        )
        self._recipients = ", ".join(config.recipients)
        run_in_background(self.controller.ui, lambda: notify.send_test(config), self._sent, "smtp")

    def _sent(self, result: None, error: Exception | None) -> None:
        if not self.winfo_exists():
            return
        self.buttons["Send Test"].state(["!disabled"])
        if error is None:
            self.test_result.configure(
                text=f"A test message went to {self._recipients}. Click Save to keep these "
                "settings.",
                foreground=OK_COLOUR,
            )
        else:
            self.test_result.configure(text=messages.describe(error), foreground=ERROR_COLOUR)
