"""A local HTTPS appliance: the API contract served from a ``SimulatedSite``, with faults.

``SimulatorServer`` listens on loopback with a certificate from its own CA (``tls.py``), issues
OAuth tokens for its API accounts (``accounts.py``: permissions, at most 30 valid tokens each),
and answers the command, reporting and backup APIs the way docs/appliance-api.md describes:
``<error>`` documents with HTTP 200 for bad parameters, empty results and missing permissions,
reports streamed with chunked transfer, downloads with ``Content-Length``, and every answer
with the appliance's clock in its ``Date`` header. The switches in ``faults.py`` make it fail on
purpose; ``dialect.py`` chooses forms the real API does not publish. The demo, the tests and
the benchmarks use it; ``ictray simulate`` runs one until Ctrl+C.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import dataclasses
import hmac
import io
import itertools
import json
import logging
import socket
import ssl
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ictray.appliance import contract, xmlwrite
from ictray.simulator import contract as rules
from ictray.simulator.accounts import ApiAccount, Tokens
from ictray.simulator.accounts import account as make_account
from ictray.simulator.content import MP4
from ictray.simulator.dialect import Dialect
from ictray.simulator.faults import Faults, hostile_sessions
from ictray.simulator.generate import SimulatedSite
from ictray.simulator.tls import server_tls

log = logging.getLogger(__name__)

CHUNK_SIZE = 64 * 1024
SOCKET_TIMEOUT = 60.0
XML_TYPE = "text/xml; charset=UTF-8"
OCTET_STREAM = "application/octet-stream"


class SimulatorServer:
    """One simulated appliance over HTTPS; ``start()`` runs it on a background thread.

    ``ca_dir`` is where the CA file clients must trust is kept (``ca_bundle``); the default
    is a folder under the user's temp folder. ``port=0`` picks a free port. With
    ``follow_real_clock`` the site's clock keeps up with real time before each request (new
    sessions appear as time passes, for demos); without it, it moves only by ``advance_clock``,
    which keeps tests deterministic. ``account`` is the API account clients use (a preset name
    of ``accounts.PRESETS`` or an ``ApiAccount``; by default one with every permission) with
    ``client_id`` and ``client_secret``; ``add_account`` adds others. ``token_clock`` is the
    time tokens expire by.
    """

    def __init__(
        self,
        site: SimulatedSite,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        client_id: str = rules.DEFAULT_CLIENT_ID,
        client_secret: str = rules.DEFAULT_CLIENT_SECRET,
        ca_dir: Path | str | None = None,
        faults: Faults | None = None,
        namespace: str | None = xmlwrite.DEFAULT_NS,
        follow_real_clock: bool = False,
        dialect: Dialect | None = None,
        account: ApiAccount | str | None = None,
        token_clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.site = site
        self.dialect = dialect or Dialect()
        self.account = make_account(account, client_id, client_secret)
        self.accounts = {self.account.client_id: self.account}
        self.client_id = self.account.client_id
        self.client_secret = self.account.client_secret
        self.faults = faults or Faults()
        self.namespace = namespace
        self.follow_real_clock = follow_real_clock
        self._clock_lock = threading.Lock()
        self.tokens = Tokens(token_clock)
        self._answers: Counter[tuple[str, int]] = Counter()
        self._answers_lock = threading.Lock()
        tls = server_tls(Path(ca_dir) if ca_dir is not None else None, [host])
        self.ca_bundle = tls.ca_bundle
        self._httpd = _HttpServer((host, port), _Handler, self, tls.context)
        bound = self._httpd.server_address
        self.host: str = str(bound[0])
        self.port: int = int(bound[1])
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> str:
        """``host:port`` as a client is configured with it."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def start(self) -> SimulatorServer:
        """Serve on a background thread until ``stop()``."""
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"simulator-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve on this thread (Ctrl+C raises ``KeyboardInterrupt`` here)."""
        self._httpd.serve_forever(poll_interval=0.2)

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=10)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def advance_clock(self, seconds: int) -> None:
        """Move the appliance's clock forward: sessions due by then start and end."""
        with self._clock_lock:
            self.site.advance(seconds)

    def count(self, path: str | None = None, status: int | None = None) -> int:
        """How many answers were sent (for ``path``, with ``status``), e.g. token requests."""
        with self._answers_lock:
            return sum(
                n
                for (p, st), n in self._answers.items()
                if (path is None or p == path) and (status is None or st == status)
            )

    def record_answer(self, path: str, status: int) -> None:
        with self._answers_lock:
            self._answers[path, status] += 1

    def catch_up_clock(self) -> None:
        """Advance the site's clock to real time if it is behind."""
        with self._clock_lock:
            behind = int(time.time()) - self.site.now
            if behind > 0:
                self.site.advance(behind)

    def revoke_tokens(self) -> None:
        """Invalidate every token issued, as regenerating the client secret does."""
        self.faults.revoke_tokens()

    def add_account(self, account: ApiAccount) -> None:
        """Another API account of this appliance (another program's, or other permissions)."""
        self.accounts[account.client_id] = account

    def tokens_issued(self, client_id: str | None = None) -> int:
        """How many tokens an account (by default the main one) was issued so far."""
        return self.tokens.issued[client_id or self.client_id]

    def appliance_time(self) -> int:
        """The appliance's clock: the site's time and the ``clock_offset`` fault."""
        return self.site.now + round(self.faults.clock_offset)

    def check_credentials(self, header: str | None) -> ApiAccount | None:
        """The API account an HTTP Basic ``Authorization`` header names, if its secret is right."""
        if self.faults.reject_credentials or not header:
            return None
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            client_id, _, secret = base64.b64decode(value.strip()).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        for account in self.accounts.values():
            if hmac.compare_digest(
                client_id.encode(), account.client_id.encode()
            ) and hmac.compare_digest(secret.encode(), account.client_secret.encode()):
                return account
        return None


class _HttpServer(ThreadingHTTPServer):
    """Threads per connection; the TLS handshake happens on the connection's own thread."""

    daemon_threads = True
    allow_reuse_address = sys.platform != "win32"  # on Windows it would allow a second bind

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        app: SimulatorServer,
        context: ssl.SSLContext,
    ) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, handler)
        self.app = app
        self.context = context

    def finish_request(self, request: Any, client_address: Any) -> None:
        request.settimeout(SOCKET_TIMEOUT)
        try:
            connection = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as error:
            log.debug("TLS handshake with %s failed: %s", client_address, error)
            return
        try:
            self.RequestHandlerClass(connection, client_address, self)  # type: ignore[arg-type]
        finally:
            _close_quietly(connection)


class _TailDropper:
    """Passes bytes through but drops the last ``tail`` of them (a truncated document)."""

    def __init__(self, out: _ChunkedWriter, tail: int) -> None:
        self._out = out
        self._tail = tail
        self._held = b""

    def write(self, data: bytes) -> int:
        self._held += data
        if len(self._held) > self._tail:
            self._out.write(self._held[: -self._tail or None])
            self._held = self._held[-self._tail :] if self._tail else b""
        return len(data)

    def close(self) -> None:
        self._out.close()


class _ChunkedWriter:
    """A file-like ``write`` that sends HTTP/1.1 chunks of about ``CHUNK_SIZE`` bytes."""

    def __init__(self, wfile: io.BufferedIOBase) -> None:
        self._wfile = wfile
        self._buffer = bytearray()

    def write(self, data: bytes) -> int:
        self._buffer += data
        if len(self._buffer) >= CHUNK_SIZE:
            self._send()
        return len(data)

    def _send(self) -> None:
        if self._buffer:
            self._wfile.write(b"%x\r\n%s\r\n" % (len(self._buffer), bytes(self._buffer)))
            self._buffer.clear()

    def close(self) -> None:
        self._send()
        self._wfile.write(b"0\r\n\r\n")
        self._wfile.flush()


class _Handler(BaseHTTPRequestHandler):
    """Answers one connection's requests; everything it knows comes from ``server.app``."""

    protocol_version = "HTTP/1.1"
    server_version = "ictray-simulator"
    timeout = SOCKET_TIMEOUT
    server: _HttpServer
    _headers_sent = False
    _account: ApiAccount | None = None

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The ``Date`` header: the appliance's clock, not this computer's."""
        if timestamp is None:
            timestamp = self.server.app.appliance_time()
        return super().date_time_string(timestamp)

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def log_message(self, format: str, *args: Any) -> None:
        """Into ``logging``, never with a query string (it may hold a backup password)."""
        log.debug("%s %s", self.command, urlsplit(self.path).path)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path = urlsplit(self.path).path
        log.debug("%s %s -> %s", self.command, path, code)
        self.server.app.record_answer(path, int(code))

    # -- dispatch ---------------------------------------------------------------------------

    def _handle(self) -> None:
        app = self.server.app
        try:
            params = self._params()
            if app.faults.delay:
                time.sleep(app.faults.delay)
            if app.faults.take("rate_limit"):
                self._send_json(
                    contract.RATE_LIMITED_STATUS,
                    {"error": "rate_limited"},
                    {contract.RETRY_AFTER: str(app.faults.retry_after)},
                )
                return
            if app.faults.take("server_errors"):
                body = xmlwrite.error_xml(rules.SERVER_FAILURE, app.namespace)
                self._send_bytes(app.faults.server_error_status, XML_TYPE, body)
                return
            if app.follow_real_clock:
                app.catch_up_clock()
            self._route(params)
        except rules.BadRequest as error:
            self._send_error_document(error.text, error.status)
        except (ConnectionError, TimeoutError, ssl.SSLError):
            self.close_connection = True
        except Exception:
            log.exception("the simulator failed answering %s", urlsplit(self.path).path)
            self.close_connection = True
            if not self._headers_sent:
                self._send_bytes(500, "text/plain", b"simulator error\n")

    def _route(self, params: dict[str, str]) -> None:
        path = urlsplit(self.path).path
        if path == contract.TOKEN_PATH:
            self._token(params)
            return
        routes: dict[str, Callable[[dict[str, str]], None]] = {
            contract.COMMAND_PATH: self._command,
            contract.REPORTING_PATH: self._reporting,
            contract.BACKUP_PATH: self._backup,
        }
        route = routes.get(path)
        if route is None:
            self._send_bytes(404, "text/plain", b"not found\n")
            return
        self._account = self._authorised()
        if self._account is None:
            self._send_json(
                contract.INVALID_TOKEN_STATUS,
                {"error": "invalid_token", "error_description": rules.NO_TOKEN},
                {"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
            return
        route(params)

    def _params(self) -> dict[str, str]:
        """Query and body parameters (the body wins): a form, or a JSON object of strings.

        A multipart body is refused, as the appliance does.
        """
        params = dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        content_type = (self.headers.get("Content-Type") or "").lower()
        if content_type.startswith("multipart/"):
            raise rules.BadRequest(rules.MULTIPART_REFUSED)
        if body and content_type.startswith("application/json"):
            params.update(rules.json_parameters(body))
        elif body:
            params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        return params

    def _authorised(self) -> ApiAccount | None:
        """The account whose valid token the request carries, else None."""
        scheme, _, token = (self.headers.get("Authorization") or "").partition(" ")
        app = self.server.app
        if scheme.lower() != "bearer" or app.faults.reject_credentials:
            return None
        client_id = app.tokens.account_of(token.strip(), app.faults.token_epoch)
        return app.accounts.get(client_id) if client_id is not None else None

    def _require(self, permission: contract.Permission) -> None:
        """Refuse the request, as the appliance does, when the account lacks ``permission``."""
        if self._account is None or not self._account.may(permission):
            raise rules.Refused(permission)

    # -- OAuth ------------------------------------------------------------------------------

    def _token(self, params: dict[str, str]) -> None:
        app = self.server.app
        if self.command != "POST":
            self._send_json(405, {"error": "invalid_request"}, {"Allow": "POST"})
            return
        account = app.check_credentials(self.headers.get("Authorization"))
        if account is None:
            self._send_json(
                contract.INVALID_CLIENT_STATUS,
                {"error": contract.OAUTH_INVALID_CLIENT},
                {"WWW-Authenticate": 'Basic realm="api"'},
            )
            return
        if params.get(contract.GRANT_TYPE) != contract.CLIENT_CREDENTIALS:
            self._send_json(400, {"error": "unsupported_grant_type"})
            return
        lifetime = app.faults.token_lifetime
        token = app.tokens.issue(account.client_id, lifetime, app.faults.token_epoch)
        self._send_json(
            200,
            {
                contract.ACCESS_TOKEN: token,
                "token_type": contract.TOKEN_TYPE_BEARER,
                contract.EXPIRES_IN: lifetime,
            },
        )

    # -- command API ------------------------------------------------------------------------

    def _command(self, params: dict[str, str]) -> None:
        self._require(contract.COMMAND)
        action = params.get(contract.ACTION)
        if not action:
            raise rules.BadRequest(rules.MISSING_PARAMETER.format(name=contract.ACTION))
        if action != contract.GET_API_INFO:
            raise rules.BadRequest(rules.UNKNOWN_ACTION.format(name=action))
        app = self.server.app
        assert self._account is not None
        info = dataclasses.replace(
            app.site.api_info(),
            timestamp=app.appliance_time(),
            permissions=self._account.permissions(),
        )
        self._send_bytes(200, XML_TYPE, xmlwrite.api_info_xml(info))

    # -- reporting API ----------------------------------------------------------------------

    def _reporting(self, params: dict[str, str]) -> None:
        report = rules.report_name(params)
        self._require(contract.REPORT_PERMISSIONS[report])
        if report in rules.RECORDING_REPORTS:
            self._recording(rules.parse_recording_query(report, params))
        else:
            self._list_report(rules.parse_list_query(report, params))

    def _list_report(self, query: rules.ListQuery) -> None:
        site = self.server.app.site
        window = query.window
        criteria: dict[str, Any] = {"lsids": query.lsids}
        if window is not None:
            prefix = "end" if window.by_end else "start"
            criteria[f"{prefix}_from"] = window.since
            criteria[f"{prefix}_to"] = window.until
        writers: dict[str, tuple[Callable[..., Iterable[Any]], Callable[..., None], bool]] = {
            contract.SUPPORT_SESSION: (site.iter_sessions, xmlwrite.write_session_list, True),
            contract.SUPPORT_SESSION_LISTING: (
                site.iter_summaries,
                xmlwrite.write_session_summary_list,
                False,
            ),
            contract.PRESENTATION_SESSION: (
                site.iter_presentations,
                xmlwrite.write_presentation_list,
                True,
            ),
            contract.PRESENTATION_SESSION_LISTING: (
                site.iter_presentation_summaries,
                xmlwrite.write_presentation_summary_list,
                False,
            ),
        }
        source, write, error_when_empty = writers[query.report]
        items = iter(source(**criteria))
        first = next(items, None)
        if first is None and error_when_empty:
            self._send_error_document(contract.NO_SUPPORT_RESULTS)
            return
        items = itertools.chain([first], items) if first is not None else iter(())
        faults = self.server.app.faults
        hostile_start = site.initial - 86_400  # a day before the site's first clock reading
        if (
            query.report == contract.SUPPORT_SESSION
            and window is not None
            and window.since <= hostile_start
            and (window.until is None or hostile_start < window.until)
            and faults.take("hostile_sessions")
        ):
            items = itertools.chain(items, hostile_sessions(hostile_start))
        self._start(200, XML_TYPE, {"Transfer-Encoding": "chunked"})
        chunked = _ChunkedWriter(self.wfile)
        out: _ChunkedWriter | _TailDropper = chunked
        if first is not None and faults.take("malformed_reports"):
            out = _TailDropper(chunked, faults.malformed_tail)
        app = self.server.app
        if query.report in (contract.SUPPORT_SESSION, contract.PRESENTATION_SESSION):
            write(items, out, app.namespace, app.dialect.variant)
        else:
            write(items, out, app.namespace)
        out.close()

    def _recording(self, query: rules.RecordingQuery) -> None:
        app = self.server.app
        site = app.site
        instance = query.instance
        if instance is not None:  # the session report's number for it
            instance -= app.dialect.recording_instance_base
        data = None
        if instance is None or instance >= 0:
            data = site.recording(query.report, query.lsid, instance)
        if data is None:
            self._send_error_document(rules.NO_RECORDING)
            return
        if app.faults.expired_recordings or site.is_recording_expired(
            query.report, query.lsid, instance
        ):
            self._send_error_document(contract.RECORDING_EXPIRED)
            return
        content_type = site.recording_content_type(query.report, query.lsid, instance)
        headers: dict[str, str] = {}
        form = app.dialect.recording_content_type
        if form != "video":
            extension = "mp4" if content_type == MP4 else "flv"
            if form == "named":
                number = "" if query.instance is None else f"-{query.instance}"
                name = f"{query.lsid}{number}.{extension}"
                headers["Content-Disposition"] = f'attachment; filename="{name}"'
            content_type = OCTET_STREAM
        self._send_download(data, content_type, headers)

    # -- backup API -------------------------------------------------------------------------

    def _backup(self, params: dict[str, str]) -> None:
        self._require(contract.BACKUP)
        site = self.server.app.site
        data = site.backup(params.get(contract.BACKUP_PASSWORD) or None)
        disposition = f'attachment; filename="{site.backup_filename()}"'
        self._send_download(
            data, contract.BACKUP_CONTENT_TYPE, {"Content-Disposition": disposition}
        )

    # -- answers ----------------------------------------------------------------------------

    def _start(self, status: int, content_type: str, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self._headers_sent = True

    def _send_bytes(
        self, status: int, content_type: str, body: bytes, headers: dict[str, str] | None = None
    ) -> None:
        self._start(status, content_type, {**(headers or {}), "Content-Length": str(len(body))})
        self.wfile.write(body)

    def _send_json(
        self, status: int, document: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        body = json.dumps(document).encode()
        self._send_bytes(
            status, "application/json", body, {"Cache-Control": "no-store", **(headers or {})}
        )

    def _send_error_document(self, text: str, status: int = 200) -> None:
        """An ``<error>`` document, with HTTP 200 as the appliance answers most problems."""
        self._send_bytes(status, XML_TYPE, xmlwrite.error_xml(text, self.server.app.namespace))

    def _send_download(self, data: bytes, content_type: str, headers: dict[str, str]) -> None:
        """A file with ``Content-Length``; the ``cut_downloads`` fault stops it early."""
        faults = self.server.app.faults
        self._start(200, content_type, {**headers, "Content-Length": str(len(data))})
        limit = min(faults.cut_after, len(data) - 1) if faults.take("cut_downloads") else None
        view = memoryview(data)[:limit] if limit is not None else memoryview(data)
        for offset in range(0, len(view), CHUNK_SIZE):
            self.wfile.write(view[offset : offset + CHUNK_SIZE])
        if limit is not None:
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)


def _close_quietly(connection: ssl.SSLSocket) -> None:
    with contextlib.suppress(OSError):
        connection.shutdown(socket.SHUT_WR)
    connection.close()
