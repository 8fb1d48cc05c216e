"""One TLS context per trusted CA set, built once and used for every connection to a site.

The API asks for a new connection per call (``contract.CLOSE_CONNECTION_AFTER_EACH_CALL``), and
without help ``requests`` and ``urllib3`` build a new ``ssl.SSLContext`` for each connection and
load the CA bundle into it again: for the public CA bundle that is about 15 ms of CPU per call,
more than the call itself costs. ``ReusedTlsAdapter`` gives every connection a context from
``contexts``, which builds one per CA file (or directory) and keeps it for the life of the
process, so a schedule's next run reuses it too. Verification is as ``requests`` does it:
certificate and host name always checked, against the file ``verify`` names, or against the
bundle ``requests`` trusts by default.

A CA file that changes on disk gets a new context (it is known by its path, file number, size
and time of change).
"""

from __future__ import annotations

import os
import ssl
import threading
from typing import TYPE_CHECKING, Any

from requests.adapters import HTTPAdapter
from requests.models import PreparedRequest
from requests.utils import DEFAULT_CA_BUNDLE_PATH
from urllib3.util.ssl_ import create_urllib3_context

if TYPE_CHECKING:  # the stubs' names of what requests passes to urllib3
    from requests.adapters import _HostParams, _PoolKwargs


class TlsContexts:
    """Client contexts by the CA file or directory they trust; safe to share between threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._contexts: dict[tuple[str, int, int, int], ssl.SSLContext] = {}

    def context(self, location: str) -> ssl.SSLContext:
        """The context trusting the CAs at ``location`` (a PEM file or a hashed directory)."""
        status = os.stat(location)
        key = (os.path.realpath(location), status.st_ino, status.st_mtime_ns, status.st_size)
        with self._lock:
            context = self._contexts.get(key)
            if context is None:
                context = create_urllib3_context(cert_reqs=ssl.CERT_REQUIRED)
                if os.path.isdir(location):
                    context.load_verify_locations(capath=location)
                else:
                    context.load_verify_locations(cafile=location)
                self._contexts = {k: v for k, v in self._contexts.items() if k[0] != key[0]}
                self._contexts[key] = context
            return context


#: the contexts of the whole process
SHARED = TlsContexts()


def trusted_location(verify: bool | str) -> str | None:
    """Where the CAs ``verify`` trusts are (``requests``' meaning); None: nothing is verified."""
    if verify is False:
        return None
    return DEFAULT_CA_BUNDLE_PATH if verify is True else verify


class ReusedTlsAdapter(HTTPAdapter):
    """An ``HTTPAdapter`` whose HTTPS connections share a context from ``contexts``."""

    def __init__(self, contexts: TlsContexts = SHARED, **options: Any) -> None:
        self.contexts = contexts
        super().__init__(**options)

    def build_connection_pool_key_attributes(
        self,
        request: PreparedRequest,
        verify: bool | str,
        cert: str | tuple[str, str] | None = None,
    ) -> tuple[_HostParams, _PoolKwargs]:
        host, pool = super().build_connection_pool_key_attributes(request, verify, cert)
        location = trusted_location(verify)
        if location is not None and host.get("scheme") == "https" and os.path.exists(location):
            # The context holds the CAs: a location handed on would be loaded per connection.
            pool.pop("ca_certs", None)
            pool.pop("ca_cert_dir", None)
            pool["ssl_context"] = self.contexts.context(location)
        return host, pool

    def cert_verify(self, conn: Any, url: str, verify: bool | str, cert: Any) -> None:
        super().cert_verify(conn, url, verify, cert)  # checks the location exists
        if url.lower().startswith("https") and trusted_location(verify) is not None:
            conn.ca_certs = None
            conn.ca_cert_dir = None
