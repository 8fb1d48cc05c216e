"""Site Configuration: the appliances to copy from, with *Test* showing the appliance's answer.

As in the guide: *New*, a name, the site's host (without https://), the API account's client
ID and secret, an optional backup password; *Test* the credentials, then *Save*. Secrets are
never shown again: an empty secret field keeps what is stored.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable, Sequence
from tkinter import filedialog

from ictray.dialogs import messages
from ictray.dialogs.context import SITES, Controller
from ictray.dialogs.editor import EditorWindow
from ictray.dialogs.form import Form, attempt
from ictray.dialogs.widgets import ERROR_COLOUR, OK_COLOUR, PAD, reserved_label
from ictray.dialogs.worker import run_in_background
from ictray.operations.site_test import run_site_test
from ictray.settings import sites, validation
from ictray.settings.sites import KEEP, Keep, SiteCredentials

#: a test should answer within a minute even when the host does not
TEST_CLIENT_OPTIONS = {"timeout": 15, "max_retries": 1, "max_retry_time": 30}
KEPT = "stored: leave empty to keep it"


class SiteDialog(EditorWindow):
    item = "site"
    columns = (("Site", 130), ("Host", 170))

    def __init__(self, master: tk.Misc, controller: Controller) -> None:
        super().__init__(master, controller, "Site Configuration", SITES)
        self.form = Form(self.detail)
        self.form.pack(fill=tk.X)
        form = self.form
        form.entry(
            "name", "Name", "A name for this site configuration, used in schedules and logs."
        )
        form.entry(
            "host",
            "Host",
            "The site's host name, e.g. support.example.com (https:// must NOT be included). "
            "Add :port only when the appliance answers on another port than 443.",
        )
        form.entry(
            "client id",
            "Client ID",
            "The OAuth client ID of the site's API account (/login > Management > API "
            "Configuration; click Edit on the API account).",
        )
        form.entry(
            "client secret",
            "Client Secret",
            "The API account's client secret (Generate New Client Secret on the appliance). "
            "Kept in the credential store, never shown again.",
            secret=True,
        )
        self.secret_hint = form.hint("")
        form.entry(
            "backup password",
            "Backup Password",
            "Optional: a password applied to site backups; you need it to restore a backup.",
            secret=True,
        )
        self.password_hint = form.hint("")
        form.check(
            "clear backup password",
            "",
            "Make site backups without a password from now on.",
            text="Remove the stored backup password",
        )
        form.entry(
            "ca bundle",
            "CA Certificate",
            "Optional: a PEM file with the private CA that signed the appliance's certificate. "
            "Leave empty to trust the system's certificate authorities.",
            button=("Browse…", self.browse_ca_bundle),
        )
        form.entry(
            "retention days",
            "Retention Days",
            "How many days the appliance keeps sessions and recordings (90 unless its data "
            "retention was changed on the appliance). Verify checks this far back, and ictray "
            "warns before anything still waiting to be copied reaches it.",
        )
        form.check(
            "enabled",
            "Enabled",
            "Only enabled sites are copied from.",
            value=True,
            text="Copy from this site",
        )
        self.test_result = reserved_label(self.detail, 3, pady=(PAD, 0))
        self._notices: list[str] = []
        self.refresh_list()
        self.choose(None)
        self.settle()

    def forms(self) -> Sequence[Form]:
        return [self.form]

    def extra_buttons(self) -> list[tuple[str, Callable[[], object]]]:
        return [("Test", self.test)]

    def rows(self) -> list[tuple[str, tuple[str, ...]]]:
        return [(site.name, (site.host,)) for site in sites.list_sites()]

    # -- form -------------------------------------------------------------------------------

    def load(self, name: str | None) -> None:
        site = sites.get_site(name) if name is not None else None
        self.form.set("name", site.name if site else "")
        self.form.set("host", site.host if site else "")
        self.form.set("client id", site.client_id if site else "")
        self.form.set("client secret", "")
        self.form.set("backup password", "")
        self.form.set("clear backup password", False)
        self.form.set("ca bundle", site.ca_bundle if site else "")
        retention = site.retention_days if site else validation.DEFAULT_RETENTION_DAYS
        self.form.set("retention days", str(retention))
        self.form.set("enabled", site.enabled if site else True)
        self.form.show_hint(self.secret_hint, KEPT if site else "")
        has_password = bool(site and site.has_backup_password)
        self.form.show_hint(self.password_hint, KEPT if has_password else "")
        self.form.enable_row("clear backup password", has_password)
        self.test_result.configure(text="")
        self.form.widgets["name"].focus_set()

    def browse_ca_bundle(self) -> None:
        chosen = filedialog.askopenfilename(
            parent=self,
            title="CA certificate (PEM)",
            filetypes=[("PEM certificates", "*.pem *.crt *.cer"), ("All files", "*")],
        )
        if chosen:
            self.form.set("ca bundle", chosen)

    def store(self) -> str:
        values = self.form.values()
        secret = values["client secret"] or None
        password = values["backup password"] or None
        ca_bundle = values["ca bundle"].strip() or None
        if self.current is None:
            site, self._notices = sites.add_site(
                self.settings,
                name=values["name"],
                host=values["host"],
                client_id=values["client id"],
                client_secret=secret,
                backup_password=password,
                ca_bundle=ca_bundle,
                enabled=self.form.flag("enabled"),
                retention_days=values["retention days"],
            )
        else:
            # Nothing typed keeps the stored password, unless it is to be removed.
            changed: str | Keep | None = password
            if password is None and not self.form.flag("clear backup password"):
                changed = KEEP
            site, self._notices = sites.edit_site(
                self.settings,
                self.current,
                new_name=values["name"],
                host=values["host"],
                client_id=values["client id"],
                client_secret=secret if secret is not None else KEEP,
                backup_password=changed,
                ca_bundle=ca_bundle,
                enabled=self.form.flag("enabled"),
                retention_days=values["retention days"],
            )
        self.load(site.name)
        return str(site.name)

    def saved_note(self) -> str:
        return "".join(f"; {notice}" for notice in self._notices)

    def check_removable(self, name: str) -> None:
        sites.check_site_unused(name)

    def remove(self, name: str) -> None:
        sites.remove_site(self.settings, name)

    # -- test -------------------------------------------------------------------------------

    def credentials(self) -> SiteCredentials:
        """What the form holds now (the stored secret when the field is left empty)."""
        values = self.form.values()
        host = validation.normalise_host(values["host"]).host
        client_id = sites.check_client_id(values["client id"])
        if values["client secret"] or self.current is None:
            secret = sites.check_secret("client secret", values["client secret"])
        else:
            secret = sites.site_credentials(
                self.settings, sites.get_site(self.current)
            ).client_secret
        bundle = sites.check_ca_bundle(values["ca bundle"].strip() or None)
        validation.check_retention_days(values["retention days"])  # as Save checks it
        name = values["name"].strip() or host
        return SiteCredentials(name, host, client_id, secret, bundle, None)

    def test(self) -> None:
        found: list[SiteCredentials] = []
        if not attempt(self, [self.form], lambda: found.append(self.credentials())):
            return
        credentials = found[0]
        self.buttons["Test"].state(["disabled"])
        self.test_result.configure(text=f"testing {credentials.host}…", foreground="")

        def work() -> str:
            return run_site_test(credentials, TEST_CLIENT_OPTIONS).text()

        run_in_background(self.controller.ui, work, self._tested, "site test")

    def _tested(self, answer: str | None, error: Exception | None) -> None:
        if not self.winfo_exists():
            return
        self.buttons["Test"].state(["!disabled"])
        if error is None:
            self.test_result.configure(text=answer or "", foreground=OK_COLOUR)
        else:
            self.test_result.configure(text=messages.describe(error), foreground=ERROR_COLOUR)
