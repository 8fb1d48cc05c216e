"""The Windows glue of the scheduler service, on pywin32's service support.

pywin32 is the standard way to write a Windows service in Python: its ``ServiceFramework``
speaks to the service control manager (SCM), ``servicemanager`` hosts the service in a frozen
program and writes the event log, ``win32service`` installs and controls services. Only the
thin part that talks to Windows is here; what the service does (settings, logs, lock, mail,
the scheduler) is ``ictray.scheduler.host.SchedulerHost``, which Linux tests run for real.

- ``IctrayService``: started by the SCM, it runs ``SchedulerHost`` until the SCM asks it to
  stop or Windows shuts down. What it needs (the settings file, the log folder) is kept under
  the service's ``Parameters`` registry key at install.
- ``WindowsServiceManager``: install (with the account chosen then, granted *Log on as a
  service*), uninstall, start, stop, status. Changing a service needs an administrator:
  ``run_elevated`` runs ``ictray service ...`` again through UAC (ShellExecute's ``runas``),
  handing over the account's password encrypted for this user (DPAPI).
- ``WindowsEventLog``: the Application event log, source ``ictray``.
- ``main()``: ``ictray-service.exe``. Started by the SCM it hosts the service; with arguments
  it is ``ictray service <arguments>``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
import time
import winreg
from pathlib import Path
from typing import TYPE_CHECKING, cast

import pywintypes
import servicemanager
import win32api
import win32con
import win32crypt
import win32event
import win32evtlogutil
import win32process
import win32security
import win32service
import win32serviceutil
import winerror
from win32com.shell import shell, shellcon

from ictray.platform.service import (
    DESCRIPTION,
    DISPLAY_NAME,
    LOCAL_SYSTEM,
    NOT_INSTALLED,
    RUNNING,
    SERVICE_NAME,
    SERVICE_PROGRAM,
    STARTING,
    STOPPED,
    STOPPING,
    ElevationRefusedError,
    InstallRequest,
    ServiceError,
    ServiceOptions,
    ServiceStatus,
    needs_password,
)

# Only ever imported on Windows; this also tells the type checker that the rest of the module
# is checked with ``--platform win32`` only.
assert sys.platform == "win32"

if TYPE_CHECKING:
    from _win32typing import PySC_HANDLE, PySID

    from ictray.scheduler.host import SchedulerHost

CLASS_STRING = "ictray.platform.service_windows.IctrayService"
PARAMETERS_KEY = rf"SYSTEM\CurrentControlSet\Services\{SERVICE_NAME}\Parameters"
SETTINGS_VALUE = "settings"
LOG_FOLDER_VALUE = "log_folder"
EVENT_SOURCE = f"the Windows event log (Application, source {SERVICE_NAME})"

START_WAIT_MS = 30_000
STOP_WAIT_MS = 60_000
SHUTDOWN_STOP_SECONDS = 10.0
CONTROL_TIMEOUT = 90.0
ELEVATED_TIMEOUT_MS = 180_000
SEE_MASK_NOASYNC = 0x100  # ShellExecuteEx returns once the process is started (shellapi.h)
MAX_EVENT_TEXT = 30_000  # an event's text may hold 31,839 characters

_STATES = {
    win32service.SERVICE_RUNNING: RUNNING,
    win32service.SERVICE_STOPPED: STOPPED,
    win32service.SERVICE_START_PENDING: STARTING,
    win32service.SERVICE_STOP_PENDING: STOPPING,
}


# -- the running service --------------------------------------------------------------------


def read_options() -> ServiceOptions:
    """What ``install`` kept for the service: the settings file and the fallback log folder."""
    try:
        with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, PARAMETERS_KEY) as key:
            settings, _ = winreg.QueryValueEx(key, SETTINGS_VALUE)
            try:
                log_folder, _ = winreg.QueryValueEx(key, LOG_FOLDER_VALUE)
            except FileNotFoundError:
                log_folder = ""
    except FileNotFoundError:
        raise ServiceError(
            f"the {SERVICE_NAME} service names no settings file; install it again with "
            "`ictray service install`"
        ) from None
    except OSError as error:
        raise ServiceError(
            f"the {SERVICE_NAME} service's registration cannot be read: {error}"
        ) from None
    return ServiceOptions(Path(settings), Path(log_folder) if log_folder else None)


def write_options(options: ServiceOptions) -> None:
    with winreg.CreateKeyEx(
        winreg.HKEY_LOCAL_MACHINE, PARAMETERS_KEY, 0, winreg.KEY_SET_VALUE
    ) as key:
        winreg.SetValueEx(key, SETTINGS_VALUE, 0, winreg.REG_SZ, str(options.settings_path))
        folder = str(options.log_folder) if options.log_folder else ""
        winreg.SetValueEx(key, LOG_FOLDER_VALUE, 0, winreg.REG_SZ, folder)


class WindowsEventLog:
    """Entries in the Application event log under the service's own source."""

    def report(self, level: int, message: str) -> None:
        text = message[:MAX_EVENT_TEXT]
        if level >= 40:  # logging.ERROR
            servicemanager.LogErrorMsg(text)
        elif level >= 30:  # logging.WARNING
            servicemanager.LogWarningMsg(text)
        else:
            servicemanager.LogInfoMsg(text)

    def close(self) -> None:
        return None


class IctrayService(win32serviceutil.ServiceFramework):
    """The SCM's view of the scheduler: start pending, running, stop pending, stopped."""

    _svc_name_ = SERVICE_NAME
    _svc_display_name_ = DISPLAY_NAME
    _svc_description_ = DESCRIPTION

    def __init__(self, args: list[str]) -> None:
        super().__init__(args)
        self._stop_requested = threading.Event()
        self._host: SchedulerHost | None = None

    def SvcStop(self) -> None:
        self.ReportServiceStatus(win32service.SERVICE_STOP_PENDING, waitHint=STOP_WAIT_MS)
        self._stop_requested.set()

    def SvcShutdown(self) -> None:
        """Windows is shutting down and waits only a few seconds: finish the writes quickly."""
        if self._host is not None:
            self._host.stop_timeout = SHUTDOWN_STOP_SECONDS
        self.SvcStop()

    def SvcRun(self) -> None:
        from ictray.scheduler.host import WINDOWS_SERVICE, SchedulerHost
        from ictray.transfer import collector

        self.ReportServiceStatus(win32service.SERVICE_START_PENDING, waitHint=START_WAIT_MS)
        collector.manage_during_runs()  # the service only copies (see transfer/collector.py)
        event_log = WindowsEventLog()
        try:
            options = read_options()
        except ServiceError as error:
            event_log.report(40, f"the {SERVICE_NAME} service cannot start: {error}")
            self._report_failure(error.exit_code)
            return
        self._host = SchedulerHost(
            options.settings_path,
            holder=WINDOWS_SERVICE,
            event_log=event_log,
            fallback_log_folder=options.log_folder,
        )
        exit_code = self._host.serve(self._stop_requested, on_running=self._report_running)
        if exit_code:  # SchedulerHost has told the Service log, the mail and the event log
            self._report_failure(exit_code)

    def _report_running(self) -> None:
        self.ReportServiceStatus(win32service.SERVICE_RUNNING)

    def _report_failure(self, exit_code: int) -> None:
        self.ReportServiceStatus(
            win32service.SERVICE_STOPPED,
            win32ExitCode=winerror.ERROR_SERVICE_SPECIFIC_ERROR,
            svcExitCode=exit_code,
        )


def main(argv: list[str] | None = None) -> int:
    """``ictray-service.exe``: the SCM starts it without arguments; with them it is the CLI."""
    arguments = sys.argv[1:] if argv is None else argv
    if arguments:
        from ictray.cli import main as cli_main

        return cli_main(["service", *arguments])
    servicemanager.Initialize()
    servicemanager.PrepareToHostSingle(IctrayService)
    try:
        servicemanager.StartServiceCtrlDispatcher()
    except pywintypes.error as error:
        if error.winerror != winerror.ERROR_FAILED_SERVICE_CONTROLLER_CONNECT:
            raise
        print(
            f"{SERVICE_PROGRAM}.exe is started by Windows as the {SERVICE_NAME} service. From a "
            f"command prompt: `{SERVICE_PROGRAM} install|uninstall|start|stop|status`, or "
            "`ictray-cli service` to run the scheduler in this window.",
            file=sys.stderr,
        )
        return 2
    return 0


# -- managing the service -------------------------------------------------------------------


def _describe(error: pywintypes.error) -> str:
    return f"{error.strerror.rstrip('. ')} (Windows error {error.winerror})"


def _open_service(access: int) -> tuple[PySC_HANDLE, PySC_HANDLE] | None:
    """(SCM handle, service handle), or None when the service is not installed."""
    scm = win32service.OpenSCManager(None, None, win32service.SC_MANAGER_CONNECT)
    try:
        service = win32service.OpenService(scm, SERVICE_NAME, access)
    except pywintypes.error as error:
        win32service.CloseServiceHandle(scm)
        if error.winerror == winerror.ERROR_SERVICE_DOES_NOT_EXIST:
            return None
        raise
    return scm, service


def _close(handles: tuple[PySC_HANDLE, PySC_HANDLE]) -> None:
    scm, service = handles
    win32service.CloseServiceHandle(service)
    win32service.CloseServiceHandle(scm)


def _query() -> tuple[int, int, str] | None:
    """(state, service-specific exit code, account) of the installed service, or None."""
    access = win32service.SERVICE_QUERY_STATUS | win32service.SERVICE_QUERY_CONFIG
    handles = _open_service(access)
    if handles is None:
        return None
    try:
        service = handles[1]
        status = win32service.QueryServiceStatus(service)
        config = win32service.QueryServiceConfig(service)
    finally:
        _close(handles)
    exit_code = status[4] if status[3] == winerror.ERROR_SERVICE_SPECIFIC_ERROR else status[3]
    return status[1], exit_code, str(config[7] or LOCAL_SYSTEM)


#: Windows' own service accounts, as CreateService wants them written (no password, no right
#: to grant: they have it).
_BUILT_IN_ACCOUNTS = {
    "localservice": "NT AUTHORITY\\LocalService",
    "local service": "NT AUTHORITY\\LocalService",
    "nt authority\\localservice": "NT AUTHORITY\\LocalService",
    "nt authority\\local service": "NT AUTHORITY\\LocalService",
    "networkservice": "NT AUTHORITY\\NetworkService",
    "network service": "NT AUTHORITY\\NetworkService",
    "nt authority\\networkservice": "NT AUTHORITY\\NetworkService",
    "nt authority\\network service": "NT AUTHORITY\\NetworkService",
}


def _canonical_account(account: str) -> tuple[str, PySID]:
    """``DOMAIN\\user`` as Windows spells it, and its SID; a clear error for unknown names."""
    try:
        sid, _, _ = win32security.LookupAccountName(None, account)
        name, domain, _ = win32security.LookupAccountSid(None, sid)
    except pywintypes.error as error:
        raise ServiceError(
            f"Windows does not know the account {account!r}: {_describe(error)}; write it as "
            "DOMAIN\\user (or .\\user for an account of this computer)"
        ) from None
    return (f"{domain}\\{name}" if domain else name), sid


def _check_password(account: str, password: str) -> None:
    domain, _, user = account.rpartition("\\")
    try:
        token = win32security.LogonUser(
            user,
            domain or None,
            password,
            win32security.LOGON32_LOGON_NETWORK,
            win32security.LOGON32_PROVIDER_DEFAULT,
        )
    except pywintypes.error as error:
        if error.winerror == winerror.ERROR_LOGON_FAILURE:
            raise ServiceError(
                f"Windows refused the password of {account}; the service was not installed"
            ) from None
        raise ServiceError(f"Windows cannot log on as {account}: {_describe(error)}") from None
    token.Close()


def _grant_service_logon(sid: PySID) -> None:
    """*Log on as a service*, which services.msc grants by itself and CreateService does not."""
    policy = win32security.LsaOpenPolicy("", win32security.POLICY_ALL_ACCESS)
    try:
        win32security.LsaAddAccountRights(policy, sid, ("SeServiceLogonRight",))
    finally:
        win32security.LsaClose(cast(int, policy))


def _service_program() -> str | None:
    """The frozen build's ``ictray-service.exe``; None for pywin32's ``pythonservice.exe``."""
    if not getattr(sys, "frozen", False):
        return None
    program = Path(sys.executable).with_name(f"{SERVICE_PROGRAM}.exe")
    if not program.is_file():
        raise ServiceError(f"{program} is missing: this build of ictray has no service program")
    return str(program)


def _message_file() -> str:
    """The file holding the event log's message texts (servicemanager's own)."""
    return str(Path(servicemanager.__file__).resolve())


def _wait_for(wanted: int, timeout: float) -> tuple[int, int]:
    """Poll until the service reaches ``wanted`` or stops; (state, exit code) at the end."""
    deadline = time.monotonic() + timeout
    while True:
        found = _query()
        if found is None:
            return win32service.SERVICE_STOPPED, 0
        state, exit_code, _ = found
        if state in (wanted, win32service.SERVICE_STOPPED) or time.monotonic() > deadline:
            return state, exit_code
        time.sleep(0.5)


def _cli_command() -> tuple[str, list[str]]:
    """The console ``ictray`` of this installation: program and leading arguments."""
    executable = Path(sys.executable)
    if getattr(sys, "frozen", False):
        return str(executable.with_name("ictray-cli.exe")), []
    console = executable.with_name("python.exe")
    return str(console if console.is_file() else executable), ["-m", "ictray"]


class WindowsServiceManager:
    """The SCM's answers and actions for the ``ictray`` service."""

    def status(self) -> ServiceStatus:
        try:
            found = _query()
        except pywintypes.error as error:
            raise ServiceError(
                f"cannot ask Windows about the service: {_describe(error)}"
            ) from None
        if found is None:
            return ServiceStatus(
                NOT_INSTALLED,
                "The Windows service is not installed; this app runs the schedules while it runs.",
            )
        state, exit_code, account = found
        try:
            settings = str(read_options().settings_path)
        except ServiceError:
            settings = None
        label = _STATES.get(state, STOPPED)
        detail = {
            RUNNING: f"It runs the schedules as {account}, also while nobody is logged in.",
            STARTING: f"It is starting as {account}.",
            STOPPING: "It is finishing the current writes before it stops.",
        }.get(label, f"Installed to run as {account}; no schedule runs until it is started.")
        if label == STOPPED and exit_code:
            detail += f" It last stopped with an error; {EVENT_SOURCE} and the Service log say why."
        return ServiceStatus(label, detail, account, settings)

    def install(self, request: InstallRequest) -> None:
        account: str | None = None
        wanted = (request.account or "").strip()
        if wanted.lower() in _BUILT_IN_ACCOUNTS:
            account = _BUILT_IN_ACCOUNTS[wanted.lower()]
        elif wanted and wanted.lower() not in (LOCAL_SYSTEM.lower(), "nt authority\\system"):
            account, sid = _canonical_account(wanted)
            if needs_password(account):
                _check_password(account, request.password or "")
            _grant_service_logon(sid)
        password = request.password if account and needs_password(account) else None
        start = win32service.SERVICE_AUTO_START
        try:
            if _query() is None:
                win32serviceutil.InstallService(
                    CLASS_STRING,
                    SERVICE_NAME,
                    DISPLAY_NAME,
                    startType=start,
                    userName=account,
                    password=password,
                    exeName=_service_program(),
                    description=DESCRIPTION,
                    delayedstart=True,
                )
            else:  # installed already: a new account (the guide's Log On tab), or a new path
                win32serviceutil.ChangeServiceConfig(
                    CLASS_STRING,
                    SERVICE_NAME,
                    startType=start,
                    userName=account or LOCAL_SYSTEM,
                    password=password or "",
                    exeName=_service_program(),
                    displayName=DISPLAY_NAME,
                    description=DESCRIPTION,
                    delayedstart=True,
                )
            write_options(ServiceOptions(request.settings_path, request.log_folder))
            win32evtlogutil.AddSourceToRegistry(SERVICE_NAME, _message_file(), "Application")
        except pywintypes.error as error:
            raise ServiceError(f"the service could not be installed: {_describe(error)}") from None

    def uninstall(self) -> None:
        if _query() is None:
            raise ServiceError("the Windows service is not installed")
        self._stop_if_running()
        try:
            win32serviceutil.RemoveService(SERVICE_NAME)
        except pywintypes.error as error:
            raise ServiceError(f"the service could not be removed: {_describe(error)}") from None

    def start(self) -> None:
        if _query() is None:
            raise ServiceError("the Windows service is not installed; install it first")
        try:
            win32serviceutil.StartService(SERVICE_NAME)
        except pywintypes.error as error:
            if error.winerror == winerror.ERROR_SERVICE_ALREADY_RUNNING:
                return
            if error.winerror == winerror.ERROR_SERVICE_LOGON_FAILED:
                raise ServiceError(
                    "Windows could not log on as the service's account (its password may have "
                    "changed); install the service again with the current password"
                ) from None
            raise ServiceError(f"the service did not start: {_describe(error)}") from None
        state, exit_code = _wait_for(win32service.SERVICE_RUNNING, CONTROL_TIMEOUT)
        if state == win32service.SERVICE_STOPPED:
            raise ServiceError(
                f"the service stopped right after starting (exit code {exit_code}); "
                f"{EVENT_SOURCE} and the Service log say why"
            )

    def stop(self) -> None:
        if _query() is None:
            raise ServiceError("the Windows service is not installed")
        self._stop_if_running()

    def _stop_if_running(self) -> None:
        try:
            win32serviceutil.StopService(SERVICE_NAME)
        except pywintypes.error as error:
            if error.winerror == winerror.ERROR_SERVICE_NOT_ACTIVE:
                return
            raise ServiceError(f"the service did not stop: {_describe(error)}") from None
        state, _ = _wait_for(win32service.SERVICE_STOPPED, CONTROL_TIMEOUT)
        if state != win32service.SERVICE_STOPPED:
            raise ServiceError(
                f"the service is still stopping after {CONTROL_TIMEOUT:.0f} s: a transfer is "
                "finishing its writes; ask again in a moment"
            )

    def needs_elevation(self) -> bool:
        return not shell.IsUserAnAdmin()

    def default_account(self) -> str:
        return win32api.GetUserNameEx(win32con.NameSamCompatible)

    def read_password_file(self, path: Path) -> str:
        """The password ``run_elevated`` handed over; the file is removed once read."""
        try:
            data = path.read_bytes()
            _, secret = win32crypt.CryptUnprotectData(data, None, None, None, 0)
        except (OSError, pywintypes.error) as error:
            raise ServiceError(
                "the password could not be handed to the administrator process (was another "
                "account given at the Windows prompt?); run `ictray service install` from a "
                f"command prompt opened as administrator: {error}"
            ) from None
        finally:
            path.unlink(missing_ok=True)
        return secret.decode("utf-8")

    def run_elevated(self, arguments: list[str], password: str | None) -> tuple[int, str]:
        program, leading = _cli_command()
        with tempfile.TemporaryDirectory(prefix="ictray-admin-") as folder:
            result = Path(folder) / "result.json"
            extra = ["--result-file", str(result)]
            if password is not None:
                secret = Path(folder) / "password.bin"
                secret.write_bytes(
                    win32crypt.CryptProtectData(password.encode("utf-8"), SERVICE_NAME)
                )
                extra += ["--password-file", str(secret)]
            try:
                launched = shell.ShellExecuteEx(
                    fMask=shellcon.SEE_MASK_NOCLOSEPROCESS | SEE_MASK_NOASYNC,
                    lpVerb="runas",
                    lpFile=program,
                    lpParameters=subprocess.list2cmdline([*leading, *arguments, *extra]),
                    nShow=win32con.SW_HIDE,
                )
            except pywintypes.error as error:
                if error.winerror == winerror.ERROR_CANCELLED:
                    raise ElevationRefusedError(
                        "changing a Windows service needs administrator rights, and the Windows "
                        "prompt for them was declined; nothing was changed"
                    ) from None
                raise ServiceError(
                    f"cannot ask Windows for administrator rights: {_describe(error)}"
                ) from None
            process = launched["hProcess"]
            try:
                waited = win32event.WaitForSingleObject(process, ELEVATED_TIMEOUT_MS)
                if waited != win32event.WAIT_OBJECT_0:
                    raise ServiceError(
                        f"the administrator process did not finish within "
                        f"{ELEVATED_TIMEOUT_MS // 1000} s"
                    )
                code = win32process.GetExitCodeProcess(process)
            finally:
                win32api.CloseHandle(process)
            try:
                answer = json.loads(result.read_text(encoding="utf-8"))
                message = str(answer.get("message", ""))
            except (OSError, ValueError):
                message = f"the administrator process ended with exit code {code}"
        return code, message
