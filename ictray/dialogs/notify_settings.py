"""Notification Settings: e-mail through SMTP whenever an error is logged, with *Send Test*."""

from __future__ import annotations

import tkinter as tk
from tkinter import ttk

from ictray import notify
from ictray.dialogs.context import Controller
from ictray.dialogs.form import Form, attempt
from ictray.dialogs.widgets import ERROR_COLOUR, OK_COLOUR, PAD, Window
from ictray.dialogs.worker import run_in_background
from ictray.errors import IctrayError
from ictray.settings import preferences
from ictray.settings.sites import KEEP

SECURITY_LABELS = {
    "none": "none (plain SMTP)",
    "starttls": "starttls (upgrade to TLS)",
    "ssl": "ssl (TLS from the start)",
}


class NotifySettingsDialog(Window):
    def __init__(self, master: tk.Misc, controller: Controller) -> None:
        super().__init__(master, "Notification Settings")
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
        form.show_row("clear password", current.has_password)
        form.entry("from", "From", "The sender address of the notifications.", value=current.sender)
        form.entry(
            "to",
            "To",
            "One or more recipient addresses, separated by commas.",
            value=", ".join(current.recipients),
        )
        self.test_result = ttk.Label(self.body, text="", wraplength=460, justify=tk.LEFT)
        self.test_result.pack(fill=tk.X, pady=(PAD, 0))
        self.buttons = self.button_row(
            self.body,
            [("Send Test", self.send_test), ("Save", self.save), ("Cancel", self.close)],
            default="Save",
        )

    def store(self) -> None:
        values = self.form.values()
        password: str | None = values["smtp password"] or KEEP
        if password is KEEP and self.form.flag("clear password"):
            password = None
        security = values["security"].split(" ", 1)[0]
        preferences.set_notify(
            self.settings,
            enabled=self.form.flag("enabled"),
            host=values["smtp host"],
            port=values["port"],
            security=security,
            username=values["username"],
            password=password,
            sender=values["from"],
            recipients=[part for part in values["to"].split(",") if part.strip()],
            allow_unencrypted_auth=self.form.flag("allow unencrypted auth"),
        )

    def save(self) -> None:
        if attempt(self, [self.form], self.store):
            self.controller.logging_changed()
            self.close()

    def send_test(self) -> None:
        """*Send Test*: save what is typed, then mail the recipients now."""
        found: list[notify.SmtpConfig] = []

        def prepare() -> None:
            self.store()
            found.append(preferences.smtp_config(self.settings))

        if not attempt(self, [self.form], prepare):
            return
        self.controller.logging_changed()
        config = found[0]
        self.buttons["Send Test"].state(["disabled"])
        self.test_result.configure(text=f"sending through {config.host}:{config.port}…")
        self._recipients = ", ".join(config.recipients)
        run_in_background(self.controller.ui, lambda: notify.send_test(config), self._sent, "smtp")

    def _sent(self, result: None, error: Exception | None) -> None:
        if not self.winfo_exists():
            return
        self.buttons["Send Test"].state(["!disabled"])
        if error is None:
            self.test_result.configure(
                text=f"the settings were saved and a test message went to {self._recipients}",
                foreground=OK_COLOUR,
            )
        else:
            text = (
                str(error) if isinstance(error, IctrayError) else f"{type(error).__name__}: {error}"
            )
            self.test_result.configure(text=text, foreground=ERROR_COLOUR)
