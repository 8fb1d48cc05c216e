"""Adding, changing, listing and removing sites: what the CLI and Site Configuration share."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Final

import peewee

from ictray.errors import NotFoundError, ValidationError
from ictray.settings import validation
from ictray.settings.models import Site
from ictray.settings.store import Settings

MASK = "********"


class Keep(Enum):
    """The type of ``KEEP``: "leave this as it is", for the edit functions' arguments."""

    KEEP = "keep"


KEEP: Final = Keep.KEEP
#: The appliance issues client secrets of 44 characters; anything much shorter is a mistake
#: (a secret cut short when copied), and a short secret could not be masked safely in logs.
MIN_CLIENT_SECRET = 16


@dataclass(frozen=True)
class SiteCredentials:
    """Everything needed to talk to one site, secrets included (never print this)."""

    name: str
    host: str
    client_id: str
    client_secret: str
    ca_bundle: str | None
    backup_password: str | None

    def __repr__(self) -> str:
        return (
            f"SiteCredentials(name={self.name!r}, host={self.host!r}, client_id={self.client_id!r})"
        )


def get_site(name: str) -> Site:
    site = Site.get_or_none(Site.name == name)
    if site is None:
        known = ", ".join(s.name for s in Site.select().order_by(Site.name)) or "none yet"
        raise NotFoundError(f"there is no site named {name!r} (sites: {known})")
    return site


def check_client_id(text: str) -> str:
    value = (text or "").strip()
    if not value:
        raise ValidationError(
            "client id", "the OAuth client id of the site's API account is required"
        )
    if any(ch.isspace() for ch in value):
        raise ValidationError(
            "client id", "the client id contains spaces; copy it again from the API account"
        )
    return value


def check_secret(field: str, value: str | None) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError(field, "the value is empty")
    return text


def check_client_secret(value: str | None) -> str:
    """The client secret of the site's API account: the whole of it, as the appliance gave it."""
    text = check_secret("client secret", value)
    if len(text) < MIN_CLIENT_SECRET:
        raise ValidationError(
            "client secret",
            f"too short to be a client secret (fewer than {MIN_CLIENT_SECRET} characters; the "
            "appliance issues them 44 characters long): copy the whole secret from the API "
            "account in /login > Management > API Configuration, or generate a new one there",
        )
    return text


def check_ca_bundle(text: str | None) -> str | None:
    """A PEM file of the private CA that signed the site's certificate, kept as an absolute path."""
    if not text:
        return None
    path = Path(text).expanduser()
    if not path.is_file():
        raise ValidationError(
            "ca bundle", f"{text} is not a file; give the path of a PEM certificate file"
        )
    try:
        head = path.read_bytes()[:1_000_000]
    except OSError as error:
        raise ValidationError("ca bundle", f"{text} cannot be read: {error.strerror}") from None
    if b"-----BEGIN CERTIFICATE-----" not in head:
        raise ValidationError(
            "ca bundle", f"{text} holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
        )
    return str(path.resolve())


def _check_unique(name: str, current: Site | None = None) -> None:
    clash = Site.get_or_none(peewee.fn.lower(Site.name) == name.lower())
    if clash is not None and (current is None or clash.id != current.id):
        raise ValidationError("name", f"a site named {clash.name!r} already exists")


def add_site(
    settings: Settings,
    *,
    name: str,
    host: str,
    client_id: str,
    client_secret: str | None,
    backup_password: str | None = None,
    ca_bundle: str | None = None,
    enabled: bool = True,
    retention_days: str | int | None = None,
) -> tuple[Site, list[str]]:
    """Validate and save a new site; return it with notices for the user (host normalised...)."""
    name = validation.check_name("name", name)
    _check_unique(name)
    checked = validation.normalise_host(host)
    client_id = check_client_id(client_id)
    secret = check_client_secret(client_secret)
    password = check_secret("backup password", backup_password) if backup_password else None
    bundle = check_ca_bundle(ca_bundle)
    retention = validation.check_retention_days(retention_days)
    with settings.database.atomic():
        site = Site.create(
            name=name,
            host=checked.host,
            client_id=client_id,
            ca_bundle=bundle,
            retention_days=retention,
            has_backup_password=password is not None,
            enabled=enabled,
        )
        settings.secrets.set(site.client_secret_ref, secret)
        if password is not None:
            settings.secrets.set(site.backup_password_ref, password)
    return site, [checked.notice] if checked.notice else []


def edit_site(
    settings: Settings,
    name: str,
    *,
    new_name: str | Keep = KEEP,
    host: str | Keep = KEEP,
    client_id: str | Keep = KEEP,
    client_secret: str | Keep | None = KEEP,
    backup_password: str | Keep | None = KEEP,
    ca_bundle: str | Keep | None = KEEP,
    enabled: bool | Keep = KEEP,
    retention_days: str | int | Keep | None = KEEP,
) -> tuple[Site, list[str]]:
    """Change what is given; ``None`` clears the backup password or the CA bundle."""
    site = get_site(name)
    notices: list[str] = []
    if retention_days is not KEEP:
        site.retention_days = validation.check_retention_days(retention_days)
    if new_name is not KEEP:
        site.name = validation.check_name("name", new_name)
        _check_unique(site.name, site)
    if host is not KEEP:
        checked = validation.normalise_host(host)
        site.host = checked.host
        notices += [checked.notice] if checked.notice else []
    if client_id is not KEEP:
        site.client_id = check_client_id(client_id)
    secret = None if client_secret is KEEP else check_client_secret(client_secret)
    password: str | None = None
    if backup_password is not KEEP and backup_password is not None:
        password = check_secret("backup password", backup_password)
    if ca_bundle is not KEEP:
        site.ca_bundle = check_ca_bundle(ca_bundle)
    if enabled is not KEEP:
        site.enabled = bool(enabled)
    with settings.database.atomic():
        if backup_password is not KEEP:
            site.has_backup_password = password is not None
        site.save()
        if secret is not None:
            settings.secrets.set(site.client_secret_ref, secret)
        if password is not None:
            settings.secrets.set(site.backup_password_ref, password)
        elif backup_password is None:
            settings.secrets.delete(site.backup_password_ref)
    return site, notices


def check_site_unused(name: str) -> Site:
    """The site ``name``; ``ValidationError`` while a schedule still copies from it."""
    site = get_site(name)
    users = sorted({t.schedule.name for t in site.transfers})
    if users:
        raise ValidationError(
            "site",
            f"site {site.name!r} is used by schedule(s) {', '.join(users)}; "
            "remove those transfers first",
        )
    return site


def remove_site(settings: Settings, name: str) -> None:
    """Remove a site and its secrets; refused while a schedule still copies from it."""
    site = check_site_unused(name)
    with settings.database.atomic():
        site.delete_instance()
        settings.secrets.delete(site.client_secret_ref)
        settings.secrets.delete(site.backup_password_ref)


def site_credentials(settings: Settings, site: Site) -> SiteCredentials:
    secret = settings.secrets.get(site.client_secret_ref)
    if not secret:
        raise ValidationError(
            "client secret",
            f"site {site.name!r} has no client secret stored (it may have been "
            "removed from the credential store); set it again with `ictray site edit`",
        )
    if len(secret.strip()) < MIN_CLIENT_SECRET:  # stored by an ictray that did not check
        raise ValidationError(
            "client secret",
            f"the client secret stored for site {site.name!r} is too short to be one (fewer "
            f"than {MIN_CLIENT_SECRET} characters; the appliance issues them 44 characters "
            "long); enter the whole secret again with `ictray site edit` or in Site "
            "Configuration",
        )
    password = settings.secrets.get(site.backup_password_ref) if site.has_backup_password else None
    return SiteCredentials(site.name, site.host, site.client_id, secret, site.ca_bundle, password)


def describe_site(settings: Settings, site: Site) -> dict[str, object]:
    """What listings show: everything but the secrets, which are masked."""
    return {
        "name": site.name,
        "host": site.host,
        "client_id": site.client_id,
        "client_secret": MASK,
        "backup_password": MASK if site.has_backup_password else None,
        "ca_bundle": site.ca_bundle,
        "retention_days": site.retention_days,
        "enabled": site.enabled,
        "secrets_stored": settings.secrets.description,
    }


def list_sites() -> list[Site]:
    return list(Site.select().order_by(Site.name))
