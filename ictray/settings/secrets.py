"""Secrets (client secrets, passwords): the OS credential store first, the settings file second.

The credential store is reached through ``keyring`` (Windows Credential Manager on Windows, the
Secret Service or KWallet on a Linux desktop, the Keychain on macOS). Where none exists — a
headless Linux server — secrets go into the settings file, the file is made readable by its owner
only, and ``description`` says so, so listings can tell the user.
"""

from __future__ import annotations

import keyring
import keyring.backend
import keyring.core
import keyring.errors
from keyring.backends import chainer, fail

from ictray.errors import IctrayError
from ictray.settings.models import StoredSecret

SERVICE_PREFIX = "ictray"


class SecretStoreError(IctrayError):
    """The credential store refused to store or give back a secret."""


def find_credential_store() -> keyring.backend.KeyringBackend | None:
    """The usable credential store, or None where only a stand-in (or nothing) exists.

    A backend named explicitly (``PYTHON_KEYRING_BACKEND`` or keyring's config file) is always
    used. Otherwise only backends keyring itself recommends (priority 1 or more) count: the
    plain-text file backends of ``keyrings.alt`` are no safer than the settings file.
    """
    explicit = keyring.core.load_env() or keyring.core.load_config()
    if explicit is not None:
        return None if isinstance(explicit, fail.Keyring) else explicit
    backend = keyring.get_keyring()
    if isinstance(backend, chainer.ChainerBackend):
        usable = any(member.priority >= 1 for member in backend.backends)
    else:
        usable = not isinstance(backend, fail.Keyring) and backend.priority >= 1
    return backend if usable else None


class SecretStore:
    """Stores secrets under references like ``site/3/client_secret`` for one settings file."""

    def __init__(self, settings_id: str, backend: keyring.backend.KeyringBackend | None) -> None:
        self.service = f"{SERVICE_PREFIX}:{settings_id}"
        self.backend = backend

    @property
    def in_settings_file(self) -> bool:
        return self.backend is None

    @property
    def description(self) -> str:
        if self.backend is None:
            return (
                "in the settings file (no OS credential store was found; the file is readable "
                "by its owner only)"
            )
        name = getattr(self.backend, "name", type(self.backend).__name__)
        return f"in the OS credential store ({name})"

    def set(self, ref: str, value: str) -> None:
        if self.backend is None:
            StoredSecret.insert(ref=ref, value=value).on_conflict_replace().execute()
            return
        try:
            self.backend.set_password(self.service, ref, value)
        except keyring.errors.KeyringError as error:
            raise SecretStoreError(
                f"the credential store refused to keep {ref}: {type(error).__name__}"
            ) from None

    def get(self, ref: str) -> str | None:
        if self.backend is None:
            row = StoredSecret.get_or_none(StoredSecret.ref == ref)
            return None if row is None else str(row.value)
        try:
            return self.backend.get_password(self.service, ref)
        except keyring.errors.KeyringError as error:
            raise SecretStoreError(
                f"the credential store could not give back {ref}: {type(error).__name__}"
            ) from None

    def delete(self, ref: str) -> None:
        if self.backend is None:
            StoredSecret.delete().where(StoredSecret.ref == ref).execute()
            return
        try:
            self.backend.delete_password(self.service, ref)
        except keyring.errors.PasswordDeleteError:
            pass  # already gone: deleting is idempotent
        except keyring.errors.KeyringError as error:
            raise SecretStoreError(
                f"the credential store could not remove {ref}: {type(error).__name__}"
            ) from None
