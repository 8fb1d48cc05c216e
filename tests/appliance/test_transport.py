"""One TLS context per CA file, shared by every connection, with verification as strict as ever."""

from __future__ import annotations

import os
import ssl
import time
from pathlib import Path

import pytest
import requests

from ictray.appliance import transport
from ictray.appliance.transport import ReusedTlsAdapter, TlsContexts


class CountingContexts(TlsContexts):
    """``TlsContexts`` that counts the contexts it builds."""

    def __init__(self) -> None:
        super().__init__()
        self.built: list[ssl.SSLContext] = []

    def context(self, location: str) -> ssl.SSLContext:
        before = set(map(id, self._contexts.values()))
        context = super().context(location)
        if id(context) not in before:
            self.built.append(context)
        return context


def _session(contexts: TlsContexts) -> requests.Session:
    session = requests.Session()
    session.mount("https://", ReusedTlsAdapter(contexts))
    session.headers["Connection"] = "close"  # a new connection per call, as the API asks
    return session


def test_every_connection_shares_one_context_per_ca_file(simulator) -> None:
    contexts = CountingContexts()
    url = f"https://{simulator.address}/api/command"
    with _session(contexts) as first, _session(contexts) as second:
        for session in (first, second, first):
            answer = session.get(url, verify=str(simulator.ca_bundle), timeout=5)
            assert answer.status_code in (200, 401)
    assert len(contexts.built) == 1
    assert simulator.server.count() >= 3  # three calls, three connections
    (context,) = contexts.built
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname


def test_a_certificate_from_another_ca_is_still_refused(simulator) -> None:
    contexts = CountingContexts()
    with _session(contexts) as session, pytest.raises(requests.exceptions.SSLError):
        session.get(f"https://{simulator.address}/api/command", timeout=5)  # the default CAs
    assert len(contexts.built) == 1
    assert simulator.server.count() == 0


def test_a_changed_ca_file_gets_a_new_context(tmp_path: Path, simulator) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_bytes(simulator.ca_bundle.read_bytes())
    contexts = CountingContexts()
    first = contexts.context(str(bundle))
    assert contexts.context(str(bundle)) is first
    bundle.write_bytes(simulator.ca_bundle.read_bytes() + b"\n")
    later = time.time() + 5
    os.utime(bundle, (later, later))
    assert contexts.context(str(bundle)) is not first
    assert len(contexts.built) == 2


def test_the_client_sends_through_shared_contexts(simulator) -> None:
    with simulator.client() as client:
        client.get_api_info()
        adapter = client._session.get_adapter(f"https://{simulator.address}/")
        assert isinstance(adapter, ReusedTlsAdapter)
        assert adapter.contexts is transport.SHARED
