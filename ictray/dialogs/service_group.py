"""The *Windows service* group of Application Settings, and the account asked for at install.

The group shows the service as the guide's Application Settings do (running, stopped, not
installed) with Install, Uninstall, Start and Stop. Every action is a call into
``ictray.operations.service`` on a worker thread: Windows may show its administrator prompt
and the service may take a while to stop. Where no Windows service exists the buttons are
disabled and the group says why.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from ictray.dialogs import messages
from ictray.dialogs.context import Controller
from ictray.dialogs.form import Form, attempt
from ictray.dialogs.widgets import PAD, Window, tooltip
from ictray.dialogs.worker import run_in_background
from ictray.errors import IctrayError, ValidationError
from ictray.operations import service as operations
from ictray.platform.service import (
    LOCAL_SYSTEM,
    RUNNING,
    STARTING,
    STOPPED,
    ServiceStatus,
    needs_password,
)
from ictray.settings import preferences

INSTALL, UNINSTALL, START, STOP = "Install…", "Uninstall", "Start", "Stop"
BUTTON_HELP = {
    INSTALL: "Install the scheduler as a Windows service, which runs the schedules while nobody "
    "is logged in. Windows asks for administrator rights.",
    UNINSTALL: "Stop the service and remove it; this app then runs the schedules while it runs.",
    START: "Start the service: it takes the schedules over from this app.",
    STOP: "Stop the service once the running transfers have finished their current writes.",
}
THIS_ACCOUNT, SYSTEM_ACCOUNT = "This account", "Local System"
ACCOUNT_HELP = (
    "The account the service logs on as. It must reach the destination folders (by UNC "
    "path) and the databases, and ictray's secrets are kept in the credential store of the "
    "account that set it up: use that account, most likely a domain account."
)

ACCOUNT_NAME_HELP = "DOMAIN\\user, or .\\user for an account of this computer."
PASSWORD_HELP = "The account's password; Windows keeps it with the service, ictray does not."


class ServiceGroup(ttk.LabelFrame):
    """State line and four buttons; ``refresh`` brings them up to date."""

    def __init__(self, parent: tk.Misc, window: Window, controller: Controller) -> None:
        super().__init__(parent, text="Windows service", padding=PAD)
        self.window = window
        self.controller = controller
        self.busy = False
        self.status: ServiceStatus | None = None
        self.state_text = ttk.Label(self, text="", wraplength=460, justify=tk.LEFT)
        self.state_text.pack(fill=tk.X)
        row = ttk.Frame(self)
        row.pack(fill=tk.X, pady=(PAD // 2, 0))
        self.buttons: dict[str, ttk.Button] = {}
        commands = {
            INSTALL: self.install,
            UNINSTALL: self.uninstall,
            START: self.start,
            STOP: self.stop,
        }
        for label, command in commands.items():
            button = ttk.Button(row, text=label, command=command)
            button.pack(side=tk.LEFT, padx=(0, PAD // 2))
            tooltip(button, BUTTON_HELP[label])
            self.buttons[label] = button

    def refresh(self) -> None:
        try:
            status = operations.service_status()
        except IctrayError as error:
            self.status = None
            self.state_text.configure(
                text=f"The Windows service cannot be asked about: {messages.plain(str(error))}"
            )
            self._enable(set())
            return
        self.status = status
        if not status.available:
            self.state_text.configure(
                text="Not available here: the Windows service exists only on Windows. On this "
                "computer, this app runs the schedules while it is open; to copy unattended, "
                "run the scheduler service from the system's service manager."
            )
            self._enable(set())
            return
        self.state_text.configure(
            text=f"The Windows service is {status.state}. {messages.plain(status.detail)}"
        )
        enabled = {UNINSTALL} if status.installed else {INSTALL}
        if status.state == STOPPED:
            enabled.add(START)
        if status.state in (RUNNING, STARTING):
            enabled.add(STOP)
        self._enable(enabled)

    def _enable(self, labels: set[str]) -> None:
        for label, button in self.buttons.items():
            button.state(["!disabled"] if label in labels and not self.busy else ["disabled"])

    # -- actions ------------------------------------------------------------------------------

    def install(self) -> None:
        settings = self.controller.settings
        settings_path, log_folder = settings.path, preferences.log_folder(settings)

        def chosen(account: str | None, password: str | None) -> None:
            self._run(
                "installing the Windows service",
                lambda: operations.install_service(
                    settings_path, log_folder, account=account, password=password
                ),
            )

        ServiceAccountDialog(self.window, operations.default_account(), chosen)

    def uninstall(self) -> None:
        self._run("removing the Windows service", operations.uninstall_service)

    def start(self) -> None:
        self._run(
            "starting the Windows service",
            lambda: operations.start_service(
                release=self.controller.release_scheduler,
                reclaim=self.controller.reclaim_scheduler,
            ),
        )

    def stop(self) -> None:
        self._run("stopping the Windows service", operations.stop_service)

    def _run(self, doing: str, work: Callable[[], str]) -> None:
        self.busy = True
        self._enable(set())
        self.window.show_message(f"{doing}… (Windows may ask for administrator rights)")
        run_in_background(self.controller.ui, work, self._done, "windows-service")

    def _done(self, message: str | None, error: Exception | None) -> None:
        self.busy = False
        if self.winfo_exists():
            if error is None:
                self.window.show_message(message or "")
            elif isinstance(error, IctrayError):
                self.window.show_message(str(error), error=True)
            else:
                self.window.show_message(f"{type(error).__name__}: {error}", error=True)
        self.controller.settings_changed()


class ServiceAccountDialog(Window):
    """*Log on as*: this account (with its password) or Local System, as services.msc asks.

    ``on_done(account, password)`` runs after OK with the account to install with.
    """

    def __init__(
        self,
        master: tk.Misc,
        account: str,
        on_done: Callable[[str | None, str | None], None],
    ) -> None:
        super().__init__(master, "Install the Windows service", modal=True)
        self.resizable(False, False)
        self._on_done = on_done
        self.form = Form(self.body)
        self.form.pack(fill=tk.X)
        self.form.combo(
            "log on as",
            "Log on as",
            ACCOUNT_HELP,
            [THIS_ACCOUNT, SYSTEM_ACCOUNT],
            value=THIS_ACCOUNT,
        )
        self.form.entry("account", "Account", ACCOUNT_NAME_HELP, value=account)
        self.form.entry("password", "Password", PASSWORD_HELP, secret=True)
        self.form.hint(
            "Local System reaches network shares as this computer and cannot read secrets "
            "kept in your credential store."
        )
        self.buttons = self.button_row(
            self.body, [("OK", self.ok), ("Cancel", self.close)], default="OK"
        )
        self.after_idle(self.bring_up)

    def choice(self) -> tuple[str | None, str | None]:
        """The account and password chosen; a ``ValidationError`` names what is missing."""
        if self.form.get("log on as") == SYSTEM_ACCOUNT:
            return LOCAL_SYSTEM, None
        account = self.form.get("account").strip()
        if not account:
            raise ValidationError("account", "name the account, e.g. CORP\\svc-ictray")
        password = self.form.get("password")
        if needs_password(account) and not password:
            raise ValidationError("password", f"the password of {account} is needed")
        return account, password or None

    def ok(self) -> None:
        chosen: list[tuple[str | None, str | None]] = []
        if attempt(self, [self.form], lambda: chosen.append(self.choice())):
            super().close()
            self._on_done(*chosen[0])
