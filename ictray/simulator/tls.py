"""The simulator's own certificate authority and server certificate.

The CA is kept in a folder the caller chooses (its certificate as ``simulator-ca.pem``, its key
beside it) and reused on the next start, so a site configured against the simulator keeps
working after a restart. Anyone who can read that folder can sign certificates this CA vouches
for, so the folder is for test machines, and only clients told to trust the CA file (the sites
configured for the simulator) trust it.
"""

from __future__ import annotations

import os
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path

import trustme
from filelock import FileLock

CA_FILE = "simulator-ca.pem"
CA_KEY_FILE = "simulator-ca-key.pem"
CA_LOCK_FILE = "simulator-ca.lock"


def default_ca_dir() -> Path:
    """Where the CA lives when the caller gives no folder: under the user's temp folder."""
    return Path(tempfile.gettempdir()) / "ictray-simulator"


@dataclass(frozen=True)
class ServerTls:
    """What the server presents (``context``) and the CA file clients should trust."""

    context: ssl.SSLContext
    ca_bundle: Path


def server_tls(ca_dir: Path | None, names: list[str]) -> ServerTls:
    """A server context with a certificate for ``names`` (host names or IP addresses)."""
    folder = Path(ca_dir) if ca_dir is not None else default_ca_dir()
    folder.mkdir(parents=True, exist_ok=True)
    ca = _load_or_create_ca(folder)
    identities = list(dict.fromkeys([*names, "127.0.0.1", "localhost"]))
    leaf = ca.issue_cert(*identities)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    leaf.configure_cert(context)
    return ServerTls(context=context, ca_bundle=folder / CA_FILE)


def _load_or_create_ca(folder: Path) -> trustme.CA:
    """The folder's CA; a lock keeps two simulators starting at once from making two."""
    cert_path, key_path = folder / CA_FILE, folder / CA_KEY_FILE
    with FileLock(folder / CA_LOCK_FILE, timeout=30):
        if cert_path.is_file() and key_path.is_file():
            try:
                return trustme.CA.from_pem(cert_path.read_bytes(), key_path.read_bytes())
            except ValueError:
                pass  # unreadable or foreign files: replace them with a new CA below
        ca = trustme.CA(organization_name="ictray simulator")
        _write_atomically(key_path, ca.private_key_pem.bytes())
        _write_atomically(cert_path, ca.cert_pem.bytes())
        return ca


def _write_atomically(path: Path, data: bytes) -> None:
    """Write beside the target and rename, so a second simulator never reads half a file."""
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        Path(temp_name).replace(path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
