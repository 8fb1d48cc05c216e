"""The scheduler service, as people manage it: install, uninstall, start, stop, status.

``ictray service install|uninstall|start|stop|status`` and the *Windows service* group of
Application Settings both call these functions. Each returns the sentence to show on success
and raises an ``IctrayError`` with the sentence to show on failure. Where changing the service
needs administrator rights the process does not have (Windows, from a normal account), the
same ``ictray service ...`` command runs again through the system's elevation prompt, and its
answer comes back here; a declined prompt is an ``ElevationRefusedError``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ictray.errors import ValidationError
from ictray.platform.service import (
    DISPLAY_NAME,
    LOCAL_SYSTEM,
    UNAVAILABLE_REASON,
    InstallRequest,
    ServiceError,
    ServiceManager,
    ServiceStatus,
    ServiceUnavailableError,
    needs_password,
    service_manager,
)
from ictray.scheduler.lock import LockHolder, SchedulerLock

__all__ = [
    "check_available",
    "default_account",
    "install_service",
    "scheduler_holder",
    "service_installed",
    "service_status",
    "start_service",
    "stop_service",
    "uninstall_service",
]


def service_status() -> ServiceStatus:
    """Running, stopped, not installed — or unavailable on this system, with the reason."""
    return service_manager().status()


def service_installed() -> bool:
    """True when the service is installed here (so it, not the tray app, runs the schedules)."""
    try:
        return service_status().installed
    except ServiceError:
        return False


def scheduler_holder(settings_path: Path) -> LockHolder | None:
    """Which program runs the schedules of this settings file now, if any."""
    return SchedulerLock(settings_path).holder()


def default_account() -> str:
    """The account the install offers first: the one that set ictray up (its secrets are there)."""
    return service_manager().default_account()


def install_service(
    settings_path: Path,
    log_folder: Path,
    *,
    account: str | None = None,
    password: str | None = None,
) -> str:
    """Install the service for this settings file, logging on as ``account``.

    ``log_folder`` is where this user's logs go (``preferences.log_folder``): the service
    writes there too while the settings name no folder. ``account`` defaults to the current
    user; ``LocalSystem`` (or a built-in service account) needs no password, any other
    account its password, checked by Windows before anything is changed. Installing again
    changes the account of the installed service.
    """
    manager = _manager()
    account = (account or "").strip() or manager.default_account()
    if needs_password(account) and not password:
        raise ValidationError(
            "password",
            f"the service logs on as {account}, so it needs that account's password "
            "(--password-stdin or --password-env VAR)",
        )
    if manager.needs_elevation():
        arguments = ["--settings", str(settings_path), "service", "install", "--account", account]
        return _elevated(manager, arguments, password if needs_password(account) else None)
    request = InstallRequest(Path(settings_path).resolve(), log_folder, account, password)
    manager.install(request)
    who = "Local System" if account.lower() == LOCAL_SYSTEM.lower() else account
    return (
        f"installed the Windows service {DISPLAY_NAME!r} for the settings file {settings_path}, "
        f"logging on as {who}; it starts with Windows. Start it now with `ictray service start` "
        "or Start in Application Settings"
    )


def uninstall_service() -> str:
    """Stop the service (letting the current writes finish) and remove it."""
    manager = _manager()
    if manager.needs_elevation():
        return _elevated(manager, ["service", "uninstall"], None)
    manager.uninstall()
    return (
        "removed the Windows service; the tray app runs the schedules again while it runs "
        "(Start Scheduler in Application Settings)"
    )


def start_service(
    *,
    release: Callable[[], object] | None = None,
    reclaim: Callable[[], object] | None = None,
) -> str:
    """Start the service; it takes the schedules over.

    ``release`` lets go of a scheduler this process runs (the tray app's), so the service can
    take the settings file's lock; ``reclaim`` takes it back when the service does not start.
    """
    manager = _manager()
    if release is not None:
        release()
    try:
        if manager.needs_elevation():
            return _elevated(manager, ["service", "start"], None)
        manager.start()
    except Exception:
        if reclaim is not None:
            reclaim()
        raise
    return "the Windows service is running: it runs the schedules, also while nobody is logged in"


def stop_service() -> str:
    """Stop the service once its running transfers have finished their current writes."""
    manager = _manager()
    if manager.needs_elevation():
        return _elevated(manager, ["service", "stop"], None)
    manager.stop()
    return (
        "the Windows service is stopped: no schedule runs until it, or the tray app's "
        "scheduler, is started"
    )


def check_available() -> None:
    """Raise ``ServiceUnavailableError`` (saying what to do instead) where no service exists."""
    _manager()


def _manager() -> ServiceManager:
    manager = service_manager()
    if not manager.status().available:
        raise ServiceUnavailableError(UNAVAILABLE_REASON)
    return manager


def _elevated(manager: ServiceManager, arguments: list[str], password: str | None) -> str:
    code, message = manager.run_elevated(arguments, password)
    if code != 0:
        raise ServiceError(message or f"`ictray {' '.join(arguments)}` failed (exit code {code})")
    return message
