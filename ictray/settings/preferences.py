"""Application Settings and Notification Settings: read and change, with the guide's fields."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ictray import platform
from ictray.errors import ValidationError
from ictray.logs import register_secret
from ictray.notify import SmtpConfig
from ictray.settings import validation
from ictray.settings.models import NotifySettings
from ictray.settings.paths import default_log_folder, default_settings_path
from ictray.settings.sites import KEEP, MASK, Keep, check_secret
from ictray.settings.store import Settings
from ictray.settings.validation import SECURITY_MODES

DEFAULT_PORTS = {"none": 25, "starttls": 587, "ssl": 465}


def log_folder(settings: Settings) -> Path:
    """The folder holding the IC log and the Service log of this settings file: the one set in
    Application Settings, else the one that goes with the file (see ``default_log_folder``)."""
    configured = settings.app().log_folder
    return Path(configured) if configured else default_log_folder(settings.path)


def set_app(
    settings: Settings,
    *,
    scheduler_enabled: bool | Keep = KEEP,
    log_folder: str | Keep | None = KEEP,
    log_removal_days: str | int | Keep | None = KEEP,
    warn_after_hours: str | int | Keep = KEEP,
    warn_margin_days: str | int | Keep = KEEP,
) -> None:
    app = settings.app()
    if scheduler_enabled is not KEEP:
        app.scheduler_enabled = bool(scheduler_enabled)
    if log_folder is not KEEP:
        if log_folder:
            folder = Path(log_folder).expanduser()
            if folder.exists() and not folder.is_dir():
                raise ValidationError("log folder", f"{log_folder} exists and is not a folder")
            app.log_folder = str(folder.resolve())
        else:
            app.log_folder = None
    if log_removal_days is not KEEP:
        app.log_removal_days = validation.check_days(log_removal_days, "log removal days")
    if warn_after_hours is not KEEP:
        app.warn_after_hours = validation.check_count(
            warn_after_hours, "warn after hours", 1, 24 * 90
        )
    if warn_margin_days is not KEEP:
        app.warn_margin_days = validation.check_count(warn_margin_days, "warn margin days", 0, 89)
    app.save()


def set_start_with_session(settings: Settings, enabled: bool) -> None:
    """*Start with Windows* (an XDG autostart entry on Linux) for the desktop app.

    The entry names this settings file with ``--settings`` unless it is the default one.
    """
    default = settings.path.resolve() == default_settings_path().resolve()
    platform.set_autostart(enabled, platform.autostart_command(None if default else settings.path))


def describe_app(settings: Settings) -> dict[str, Any]:
    app = settings.app()
    return {
        "scheduler_enabled": app.scheduler_enabled,
        "log_folder": str(log_folder(settings)),
        "log_removal_days": app.log_removal_days,
        "warn_after_hours": app.warn_after_hours,
        "warn_margin_days": app.warn_margin_days,
        "settings_file": str(settings.path),
        "autostart": platform.autostart_enabled(),
        "autostart_entry": platform.autostart_location(),
    }


def _smtp_host(text: str) -> str:
    host = validation.normalise_host(text, "smtp host").host
    if host.rsplit("]", 1)[-1].count(":"):
        raise ValidationError("smtp host", "give the port separately (--smtp-port)")
    return host


def set_notify(
    settings: Settings,
    *,
    enabled: bool | Keep = KEEP,
    host: str | Keep = KEEP,
    port: str | int | Keep | None = KEEP,
    security: str | Keep = KEEP,
    username: str | Keep = KEEP,
    password: str | Keep | None = KEEP,
    sender: str | Keep = KEEP,
    recipients: list[str] | Keep = KEEP,
    allow_unencrypted_auth: bool | Keep = KEEP,
) -> None:
    """Change notification settings; an enabled configuration must be complete, and a login
    over an unencrypted connection must be allowed explicitly."""
    notify = settings.notify()
    secret = _apply_notify(
        notify,
        enabled=enabled,
        host=host,
        port=port,
        security=security,
        username=username,
        password=password,
        sender=sender,
        recipients=recipients,
        allow_unencrypted_auth=allow_unencrypted_auth,
    )
    with settings.database.atomic():
        if password is not KEEP:
            notify.has_password = secret is not None
        notify.save()
        if secret is not None:
            settings.secrets.set(notify.password_ref, secret)
        elif password is None:
            settings.secrets.delete(notify.password_ref)


def _apply_notify(
    notify: NotifySettings,
    *,
    enabled: bool | Keep,
    host: str | Keep,
    port: str | int | Keep | None,
    security: str | Keep,
    username: str | Keep,
    password: str | Keep | None,
    sender: str | Keep,
    recipients: list[str] | Keep,
    allow_unencrypted_auth: bool | Keep,
) -> str | None:
    """Check the changes and apply them to ``notify`` (not saved); the new password, if any."""
    if security is not KEEP:
        mode = (security or "").strip().lower()
        if mode not in SECURITY_MODES:
            raise ValidationError(
                "security", f"{security!r} is not one of {', '.join(SECURITY_MODES)}"
            )
        if port is KEEP and notify.smtp_port == DEFAULT_PORTS[notify.security]:
            notify.smtp_port = DEFAULT_PORTS[mode]
        notify.security = mode
    if host is not KEEP:
        notify.smtp_host = _smtp_host(host) if host else ""
    if port is not KEEP:
        notify.smtp_port = validation.check_port(port) if port else DEFAULT_PORTS[notify.security]
    if username is not KEEP:
        notify.username = (username or "").strip()
    if sender is not KEEP:
        notify.sender = validation.check_email(sender, "from") if sender else ""
    if recipients is not KEEP:
        notify.recipients_text = ", ".join(validation.check_email(r, "to") for r in recipients)
    if enabled is not KEEP:
        notify.enabled = bool(enabled)
    if allow_unencrypted_auth is not KEEP:
        notify.allow_unencrypted_auth = bool(allow_unencrypted_auth)
    if notify.username and notify.security == "none" and not notify.allow_unencrypted_auth:
        raise ValidationError(
            "security",
            "a login (user and password) over security none would send the password "
            "unencrypted, readable by anyone on the network; choose starttls or ssl, or allow "
            "it knowingly with --allow-unencrypted-auth (Allow login without encryption)",
        )
    secret = None if password in (KEEP, None) else check_secret("smtp password", password)
    if notify.enabled:
        for field, value in (
            ("smtp host", notify.smtp_host),
            ("from", notify.sender),
            ("to", notify.recipients_text),
        ):
            if not value:
                raise ValidationError(field, "required when notifications are enabled")
    return secret


def smtp_config_for(
    settings: Settings,
    *,
    host: str,
    port: str | int | None,
    security: str,
    username: str,
    password: str | Keep | None = KEEP,
    sender: str,
    recipients: list[str],
    allow_unencrypted_auth: bool | Keep = KEEP,
) -> SmtpConfig:
    """The mailer's configuration for these values, checked as ``set_notify`` checks them,
    without saving anything (*Send Test* before *Save*). ``KEEP`` uses the stored password."""
    notify = NotifySettings(**{**settings.notify().__data__})
    secret = _apply_notify(
        notify,
        enabled=KEEP,
        host=host,
        port=port,
        security=security,
        username=username,
        password=password,
        sender=sender,
        recipients=recipients,
        allow_unencrypted_auth=allow_unencrypted_auth,
    )
    for field, value, what in (
        ("smtp host", notify.smtp_host, "the SMTP server to send through"),
        ("from", notify.sender, "the sender address"),
        ("to", notify.recipients_text, "at least one recipient"),
    ):
        if not value:
            raise ValidationError(field, f"enter {what} first")
    if password is KEEP:
        secret = smtp_password(settings)
    register_secret(secret)
    return SmtpConfig(
        host=notify.smtp_host.strip("[]"),
        port=notify.smtp_port,
        security=notify.security,
        sender=notify.sender,
        recipients=tuple(notify.recipients),
        username=notify.username,
        password=secret,
        allow_unencrypted_auth=notify.allow_unencrypted_auth,
    )


def smtp_password(settings: Settings) -> str | None:
    notify = settings.notify()
    return settings.secrets.get(notify.password_ref) if notify.has_password else None


def describe_notify(settings: Settings) -> dict[str, Any]:
    notify = settings.notify()
    return {
        "enabled": notify.enabled,
        "smtp_host": notify.smtp_host,
        "smtp_port": notify.smtp_port,
        "security": notify.security,
        "allow_unencrypted_auth": notify.allow_unencrypted_auth,
        "username": notify.username,
        "password": MASK if notify.has_password else None,
        "from": notify.sender,
        "to": notify.recipients,
        "secrets_stored": settings.secrets.description if notify.has_password else None,
    }


def smtp_config(settings: Settings) -> SmtpConfig:
    """The notification settings as the mailer needs them, password included."""
    notify = settings.notify()
    if not notify.smtp_host or not notify.sender or not notify.recipients:
        raise ValidationError(
            "notification settings",
            "set the SMTP host, the sender and at least one recipient "
            "first (`ictray settings notify --smtp-host ... --from ... --to ...`)",
        )
    password = smtp_password(settings)
    register_secret(password)
    return SmtpConfig(
        host=notify.smtp_host.strip("[]"),
        port=notify.smtp_port,
        security=notify.security,
        sender=notify.sender,
        recipients=tuple(notify.recipients),
        username=notify.username,
        password=password,
        allow_unencrypted_auth=notify.allow_unencrypted_auth,
    )
