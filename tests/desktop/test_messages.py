"""No developer language in the dialogs: every error path, walked through the real widgets.

Each step provokes one failure a person can meet and reads everything the window then shows
(labels, message lines, results, lists, the log's status lines). None of it may hold a
command-line flag (``--every``), a command (``ictray site edit``), an exception class name
(``SSLCertVerificationError``) or a library's dump (``HTTPSConnectionPool(...)``); each step
also checks that the failure *was* shown, in plain words.
"""

from __future__ import annotations

import builtins
import http.client
import re
import smtplib
import socket
import ssl
from datetime import datetime, timedelta

import pytest
import requests.exceptions
import urllib3.exceptions

from ictray import errors
from ictray.appliance import errors as appliance_errors
from ictray.destinations import base as destination_base
from ictray.dialogs.connstr import ConnectionStringHelper
from ictray.dialogs.context import (
    API_TESTER,
    APP_SETTINGS,
    MAIN,
    NOTIFY_SETTINGS,
    PLUGINS,
    SCHEDULES,
    SITES,
)
from ictray.scheduler.lock import SchedulerLock
from ictray.settings import schedules, sites
from ictray.settings.models import RunRecord, StoredSecret

from .helpers import fill, open_dialog, pump, shown_texts, wait_until

TIMEOUT = 60
FLAG = re.compile(r"(?<![\w-])--[a-z]")
COMMAND = re.compile(
    r"`ictray|\bictray (?:init|site|dest|schedule|settings|run-now|service|log|apitest)\b"
)
DUMPS = re.compile(r"ConnectionPool|Traceback|Max retries|\[SSL:|errno|<[a-z.]+ object at")


def _exception_names() -> set[str]:
    """Class names of the exceptions a message could leak (CamelCase ones: not plain words)."""
    modules = (
        builtins,
        requests.exceptions,
        urllib3.exceptions,
        ssl,
        socket,
        smtplib,
        http.client,
        errors,
        appliance_errors,
        destination_base,
    )
    names = set()
    for module in modules:
        for name, value in vars(module).items():
            if (
                isinstance(value, type)
                and issubclass(value, BaseException)
                and re.search(r"[a-z][A-Z]", name)
            ):
                names.add(name)
    return names


EXCEPTION_NAMES = _exception_names()
CLASS_NAME = re.compile(r"\b[A-Z][A-Za-z0-9]*(?:Error|Exception)\b")


def check_plain(window, *expected: str) -> str:
    """Everything ``window`` shows, checked; ``expected`` fragments must be among it."""
    pump(window, 0.05)
    shown = "\n".join(shown_texts(window))
    problems = [
        *(f"flag {m.group(0)!r}" for m in FLAG.finditer(shown)),
        *(f"command {m.group(0)!r}" for m in COMMAND.finditer(shown)),
        *(f"dump {m.group(0)!r}" for m in DUMPS.finditer(shown)),
        *(f"class {m.group(0)!r}" for m in CLASS_NAME.finditer(shown)),
        *(f"class {name!r}" for name in EXCEPTION_NAMES if re.search(rf"\b{name}\b", shown)),
    ]
    assert not problems, f"{window.title()} shows {problems}:\n{shown}"
    for fragment in expected:
        assert fragment.lower() in shown.lower(), f"{fragment!r} not shown in:\n{shown}"
    return shown


def _closed_port() -> int:
    probe = socket.create_server(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


def _tested(dialog) -> bool:
    return dialog.buttons["Test"].instate(["!disabled"])


@pytest.fixture
def nightly(settings, wired):
    return schedules.add_schedule(
        settings,
        name="nightly",
        every="1d",
        at=(datetime.now() + timedelta(hours=12)).strftime("%H:%M"),
        transfers=[schedules.parse_transfer("sim:archive:session_data")],
    )


def test_site_configuration_speaks_plainly(make_app, settings, wired, simulator) -> None:
    app = make_app(tray=False)
    dialog = open_dialog(app, SITES)
    dialog.new_button.invoke()
    fill(
        dialog.form,
        {
            "name": "a:b",
            "host": f"127.0.0.1:{_closed_port()}",
            "client id": "abc",
            "client secret": "s3cret-value-of-a-site-api-account",
        },
    )
    dialog.buttons["Save"].invoke()
    check_plain(dialog, "cannot contain ':'")
    fill(dialog.form, {"name": "closed"})
    dialog.buttons["Test"].invoke()
    wait_until(dialog, lambda: _tested(dialog), TIMEOUT, "the test")
    check_plain(dialog, "could not be reached", "connection was refused")

    fill(dialog.form, {"host": simulator.address})  # no CA: the certificate is not trusted
    dialog.buttons["Test"].invoke()
    wait_until(dialog, lambda: _tested(dialog), TIMEOUT, "the test")
    check_plain(dialog, "certificate could not be verified", "CA Certificate")

    dialog.tree.selection_set("sim")
    pump(dialog)
    dialog.prompt.buttons["Discard"].invoke()
    simulator.faults.reject_credentials = True
    dialog.buttons["Test"].invoke()
    wait_until(dialog, lambda: _tested(dialog), TIMEOUT, "the test")
    check_plain(dialog, "rejected")

    StoredSecret.delete().where(StoredSecret.ref.startswith("site/")).execute()  # lost
    dialog.buttons["Test"].invoke()
    pump(dialog)
    check_plain(dialog, "no client secret stored", "Site Configuration")


def test_plugin_configuration_speaks_plainly(make_app, settings, nightly, tmp_path) -> None:
    app = make_app(tray=False)
    dialog = open_dialog(app, PLUGINS)
    dialog.tree.selection_set("archive")
    pump(dialog)
    dialog.delete_button.invoke()
    check_plain(dialog, "used by schedule(s) nightly")
    dialog.plugin_choice.set("SQL database")
    dialog.add_button.invoke()
    fill(
        dialog.form,
        {
            "name": "reports",
            "connection_string": f"postgresql://ic@127.0.0.1:{_closed_port()}/ic",
            "password": "pw-of-the-login",
        },
    )
    dialog.buttons["Test"].invoke()
    wait_until(dialog, lambda: _tested(dialog), TIMEOUT, "the test")
    check_plain(dialog, "reports")
    assert dialog.test_result.cget("text")
    fill(dialog.form, {"connection_string": "nonsense://x"})
    dialog.buttons["Save"].invoke()
    check_plain(dialog, "Connection String")


def test_schedule_configuration_speaks_plainly(make_app, settings, wired) -> None:
    app = make_app(tray=False)
    dialog = open_dialog(app, SCHEDULES)
    dialog.add_button.invoke()
    check_plain(dialog, "choose a site and a destination")
    fill(dialog.form, {"name": "x:y"})
    dialog.every_count.set("0")
    dialog.buttons["Save"].invoke()
    check_plain(dialog, "cannot contain ':'")
    fill(dialog.form, {"name": "hourly"})
    dialog.buttons["Save"].invoke()
    check_plain(dialog, "outside the allowed range")


def test_notification_settings_speak_plainly(make_app, settings, wired) -> None:
    app = make_app(tray=False)
    dialog = open_dialog(app, NOTIFY_SETTINGS)
    dialog.form.widgets["enabled"].invoke()
    dialog.buttons["Save"].invoke()
    check_plain(dialog, "required when notifications are enabled")
    fill(dialog.form, {"smtp host": "mail.example.com:25"})
    dialog.buttons["Save"].invoke()
    check_plain(dialog, "port", "the Port field")
    fill(
        dialog.form,
        {
            "smtp host": "127.0.0.1",
            "port": str(_closed_port()),
            "from": "ic@example.com",
            "to": "ops@example.com",
        },
    )
    dialog.buttons["Send Test"].invoke()
    wait_until(
        dialog, lambda: dialog.buttons["Send Test"].instate(["!disabled"]), TIMEOUT, "the mail"
    )
    check_plain(dialog, "cannot be reached")


def test_application_settings_speak_plainly(make_app, settings, wired, tmp_path) -> None:
    app = make_app(tray=False)
    dialog = open_dialog(app, APP_SETTINGS)
    check_plain(dialog, "Settings File")  # the tooltip-free texts hold no command either
    fill(dialog.form, {"log removal days": "soon"})
    dialog.buttons["Save"].invoke()
    check_plain(dialog, "not a number of days")
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    fill(dialog.form, {"log removal days": "", "log folder": str(a_file)})
    dialog.buttons["Save"].invoke()
    check_plain(dialog, "is not a folder")


def test_the_data_at_risk_fields_speak_plainly(make_app, settings, wired) -> None:
    app = make_app(tray=False)
    dialog = open_dialog(app, APP_SETTINGS)
    fill(dialog.form, {"warn after hours": "soon"})
    dialog.buttons["Save"].invoke()
    check_plain(dialog, "Warn After (hours): 'soon' is not a whole number from 1 to 2160")
    fill(dialog.form, {"warn after hours": "24", "warn margin days": "-1"})
    dialog.buttons["Save"].invoke()
    check_plain(dialog, "Warn Margin (days): '-1' is not a whole number from 0 to 89")
    site_dialog = open_dialog(app, SITES)
    site_dialog.tree.selection_set("sim")
    pump(site_dialog)
    fill(site_dialog.form, {"retention days": "0"})
    site_dialog.buttons["Save"].invoke()
    check_plain(site_dialog, "Retention Days: '0' is not a number of days the appliance keeps")


def test_the_api_tester_speaks_plainly(make_app, settings, wired) -> None:
    sites.add_site(
        settings,
        name="closed",
        host=f"127.0.0.1:{_closed_port()}",
        client_id="abc",
        client_secret="s3cret-value-of-a-site-api-account",
    )
    app = make_app(tray=False)
    dialog = open_dialog(app, API_TESTER)
    dialog.download_button.invoke()
    wait_until(dialog, lambda: "not run" in dialog.status.cget("text"), TIMEOUT, "the check")
    check_plain(dialog)
    assert dialog.message.cget("text")
    dialog.sites.selection_set(0)  # "closed"
    dialog.destinations.selection_set(0)
    dialog.start_date.set((datetime.now() - timedelta(days=2)).strftime("%Y-%m-%d"))
    dialog.download_button.invoke()
    wait_until(dialog, lambda: "finished" in dialog.status.cget("text"), TIMEOUT, "the test")
    check_plain(dialog, "finished with errors", "could not connect")


def test_the_main_window_speaks_plainly(make_app, settings, nightly, simulator) -> None:
    lock = SchedulerLock(settings.path)
    lock.acquire()
    try:
        app = make_app(tray=False)
        main = app.windows[MAIN]
        check_plain(main, "Another scheduler is already running", "Run Now")
    finally:
        lock.release()
    simulator.faults.reject_credentials = True
    app.run_now("nightly")
    wait_until(
        app.root,
        lambda: RunRecord.select().where(RunRecord.outcome == "unreachable").exists(),
        TIMEOUT,
        "the run",
    )
    app.refresh()
    check_plain(main, "failed: not reached", "client secret was rejected")


def test_the_connection_string_helper_speaks_plainly(tk_root) -> None:
    helper = ConnectionStringHelper(tk_root, "", lambda text: None)
    fill(helper.form, {"database type": "SQLite file", "database": "relative.db"})
    helper.buttons["OK"].invoke()
    check_plain(helper, "relative")
    helper.close()


def test_library_text_is_scrubbed_and_commands_become_places() -> None:
    from ictray.dialogs import messages

    dump = (
        "site x: gave up after 2 tries: could not connect to 127.0.0.1:9 (HTTPSConnectionPool("
        "host='127.0.0.1', port=9): Max retries exceeded (Caused by NewConnectionError('<urllib3"
        ".connection.HTTPSConnection object at 0x7f>: [Errno 111] Connection refused'))); "
        "check the host name (e.g. support.example.com)"
    )
    assert messages.scrub(dump) == (
        "site x: gave up after 2 tries: could not connect to 127.0.0.1:9; "
        "check the host name (e.g. support.example.com)"
    )
    cut = (
        "the session recording of session 72a was cut short after 0 of 4096 bytes (2 tries: "
        "('Connection broken: IncompleteRead(100 bytes read, 3996 more expected)', "
        "IncompleteRead(100 bytes read, 3996 more expected))); it will be asked for again"
    )
    assert messages.scrub(cut) == (
        "the session recording of session 72a was cut short after 0 of 4096 bytes; "
        "it will be asked for again"
    )
    assert messages.scrub("sessions (40 of them) at risk") == "sessions (40 of them) at risk"
    assert messages.plain("set it again with `ictray site edit`") == (
        "set it again in Site Configuration"
    )
    assert messages.plain("give the port separately (--smtp-port)") == (
        "give the port separately (the Port field)"
    )
    assert messages.describe(KeyError("x")) == messages.UNEXPECTED  # the details go to the log
