"""Adding, changing, listing and removing destinations (plugin instances).

The plugin that owns the options validates them; this module only stores them, keeping secret
parts (a password in a connection string) in the credential store. A secret kept apart is named
by its option (``connection_string``: the password inside it), or by ``option?part`` for another
secret inside the same option (``connection_string?sslpassword``).
"""

from __future__ import annotations

from typing import Any

import peewee

from ictray.destinations.base import Destination as Plugin
from ictray.destinations.base import load_plugin
from ictray.errors import IctrayError, NotFoundError, ValidationError
from ictray.logs import register_secret
from ictray.settings import validation
from ictray.settings.models import Destination
from ictray.settings.sites import KEEP, MASK, Keep
from ictray.settings.store import Settings


def get_destination(name: str) -> Destination:
    dest = Destination.get_or_none(Destination.name == name)
    if dest is None:
        known = ", ".join(d.name for d in Destination.select().order_by(Destination.name))
        raise NotFoundError(
            f"there is no destination named {name!r} (destinations: {known or 'none yet'})"
        )
    return dest


def _check_unique(name: str, current: Destination | None = None) -> None:
    clash = Destination.get_or_none(peewee.fn.lower(Destination.name) == name.lower())
    if clash is not None and (current is None or clash.id != current.id):
        raise ValidationError("name", f"a destination named {clash.name!r} already exists")


def _store(
    settings: Settings, dest: Destination, plugin: type[Plugin], options: dict[str, str]
) -> None:
    public, secrets = plugin.split_secrets(options)
    for key in set(dest.secret_keys) - set(secrets):
        settings.secrets.delete(dest.secret_ref(key))
    dest.options = public
    dest.secret_keys = list(secrets)
    dest.save()
    for key, value in secrets.items():
        settings.secrets.set(dest.secret_ref(key), value)


def checked_options(
    settings: Settings,
    *,
    plugin: str,
    options: dict[str, str],
    current: str | None = None,
    keep_secrets: bool = False,
) -> dict[str, str]:
    """The complete options a save would store, secrets joined in, checked by the plugin.

    For ``current`` (an edit) the options given replace the stored ones; with
    ``keep_secrets`` an option given without its secret (a connection string typed without its
    password) keeps the stored secret. Test and Save both call this: one validation.
    """
    plugin_class = load_plugin(plugin)
    if current is None:
        return plugin_class.validate_options(options)
    dest = get_destination(current)
    given = dict(options)
    if keep_secrets:
        for key in dest.secret_keys:
            if key in given and given[key] and not plugin_class.split_secrets({key: given[key]})[1]:
                stored = settings.secrets.get(dest.secret_ref(key))
                if stored:
                    given[key] = plugin_class.join_secrets({key: given[key]}, {key: stored})[key]
    return plugin_class.validate_options({**destination_options(settings, dest), **given})


def add_destination(
    settings: Settings, *, name: str, plugin: str, options: dict[str, str]
) -> Destination:
    """Validate the options with the plugin and save a new destination."""
    name = validation.check_name("name", name)
    _check_unique(name)
    plugin_class = load_plugin(plugin)
    full = checked_options(settings, plugin=plugin, options=options)
    with settings.database.atomic():
        dest = Destination.create(name=name, plugin=plugin)
        _store(settings, dest, plugin_class, full)
    return dest


def destination_options(settings: Settings, dest: Destination) -> dict[str, str]:
    """The complete options, secrets included, as the plugin needs them."""
    secrets = {}
    for key in dest.secret_keys:
        value = settings.secrets.get(dest.secret_ref(key))
        if value is None:
            raise ValidationError(
                key,
                f"destination {dest.name!r} has lost its stored secret for {key}; "
                "set the option again with `ictray dest edit`",
            )
        register_secret(value)
        secrets[key] = value
    return load_plugin(dest.plugin).join_secrets(dest.options, secrets)


def edit_destination(
    settings: Settings,
    name: str,
    *,
    new_name: str | Keep = KEEP,
    options: dict[str, str] | None = None,
    keep_secrets: bool = False,
) -> Destination:
    """Rename and/or change some options; the plugin validates the result as a whole."""
    dest = get_destination(name)
    plugin_class = load_plugin(dest.plugin)
    if new_name is not KEEP:
        dest.name = validation.check_name("name", new_name)
        _check_unique(dest.name, dest)
    full = checked_options(
        settings,
        plugin=dest.plugin,
        options=options or {},
        current=name,
        keep_secrets=keep_secrets,
    )
    with settings.database.atomic():
        _store(settings, dest, plugin_class, full)
    return dest


def check_destination_unused(name: str) -> Destination:
    """The destination ``name``; ``ValidationError`` while a schedule still copies to it."""
    dest = get_destination(name)
    users = sorted({t.schedule.name for t in dest.transfers})
    if users:
        raise ValidationError(
            "destination",
            f"destination {dest.name!r} is used by schedule(s) "
            f"{', '.join(users)}; remove those transfers first",
        )
    return dest


def remove_destination(settings: Settings, name: str) -> None:
    dest = check_destination_unused(name)
    with settings.database.atomic():
        keys = dest.secret_keys
        dest.delete_instance()
        for key in keys:
            settings.secrets.delete(dest.secret_ref(key))


def open_destination(settings: Settings, dest: Destination) -> Plugin:
    """A ready-to-use plugin instance for this destination."""
    return load_plugin(dest.plugin)(dest.name, destination_options(settings, dest))


def secret_label(key: str) -> str:
    """How a secret kept apart is named to a person: ``password``, ``sslpassword``..."""
    _, question, part = key.partition("?")
    return part if question else "password"


def destination_cautions(dest: Destination) -> list[str]:
    """What the plugin warns of in this destination's saved options (see ``cautions``); they
    were complete when saved, less the secrets, which no caution needs."""
    return load_plugin(dest.plugin).cautions(dict(dest.options))


def describe_destination(settings: Settings, dest: Destination) -> dict[str, Any]:
    """What listings show: the options, with every secret masked (also one still inline)."""
    plugin_class = load_plugin(dest.plugin)
    public, inline = plugin_class.split_secrets(dest.options)
    options: dict[str, Any] = dict(public)
    hidden = sorted(set(dest.secret_keys) | set(inline), key=lambda k: ("?" in k, k))
    for option in dict.fromkeys(key.partition("?")[0] for key in hidden):
        spec = plugin_class.option_spec(option)
        if spec.secret:
            options[option] = MASK
            continue
        labels = [secret_label(key) for key in hidden if key.partition("?")[0] == option]
        masked = ", ".join(f"{label} {MASK}" for label in labels)
        options[option] = f"{options.get(option, '')} ({masked})"
    return {
        "name": dest.name,
        "plugin": dest.plugin,
        "plugin_label": plugin_class.label,
        "options": options,
        "secrets_stored": settings.secrets.description if dest.secret_keys else None,
        "cautions": destination_cautions(dest),
    }


def move_inline_secrets(settings: Settings) -> list[str]:
    """Move secrets an older ictray kept in a destination's options into the secret store.

    Before every password-like part of a connection string was kept apart, a PostgreSQL
    ``sslpassword`` (for one) stayed in the settings file in clear. Called when a settings file
    is opened; returns a notice for the user per destination fixed (or that could not be).
    """
    notices = []
    for dest in Destination.select():
        try:
            plugin_class = load_plugin(dest.plugin)
            public, inline = plugin_class.split_secrets(dest.options)
        except IctrayError:
            continue  # a plugin not installed here, or options it cannot read: left as they are
        if not inline:
            continue
        labels = ", ".join(secret_label(key) for key in sorted(inline))
        try:
            with settings.database.atomic():
                for key, value in inline.items():
                    settings.secrets.set(dest.secret_ref(key), value)
                dest.options = public
                dest.secret_keys = sorted(set(dest.secret_keys) | set(inline))
                dest.save()
        except IctrayError as error:
            notices.append(
                f"destination {dest.name!r} keeps its {labels} in the settings file in clear and "
                f"it could not be moved: {error}; it is masked wherever it is shown"
            )
            continue
        notices.append(
            f"destination {dest.name!r}: its {labels} was kept in the settings file in clear; "
            f"it is now stored {settings.secrets.description}"
        )
    return notices


def list_destinations() -> list[Destination]:
    return list(Destination.select().order_by(Destination.name))


def secret_option_keys(plugin: str, options: dict[str, str]) -> set[str]:
    """Which of these options carry a secret (to refuse secrets typed on a command line)."""
    plugin_class = load_plugin(plugin)
    keys = set()
    for key, value in options.items():
        _, secrets = plugin_class.split_secrets({key: value})
        if secrets:
            keys.add(key)
    return keys
