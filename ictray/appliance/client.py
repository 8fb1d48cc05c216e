"""The HTTPS client of one site: OAuth token, retries, TLS, and ``<error>`` documents.

Every call goes through ``ApplianceClient.open``: it gets (or reuses) a bearer token, sends the
request with a timeout, retries what may pass (connection errors, timeouts, HTTP 429 honouring
``Retry-After``, 5xx) with exponential backoff and jitter within a bounded count and time, and
reads the head of the answer to catch the appliance's ``<error>`` document, which usually comes
with HTTP 200. What it returns is an ``ApiResponse`` whose body has not been read yet, so
reports and recordings stream through in chunks. The report requests are in ``reports.py``.

A client may be shared between threads (several downloads at a time): each thread sends through
its own ``requests.Session``. The token is shared wider still: by every client of the same site
and API account in the process (``tokens.py``), as the appliance allows an account only 30.

The appliance's clock comes from ``get_api_info`` when the command API answers the account, and
otherwise from the HTTP ``Date`` header of an answer (``read_clock``): an account set up as the
guide says (reporting and backup permissions only) may not use the command API.
"""

from __future__ import annotations

import logging
import random
import re
import ssl
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Literal, Protocol, overload

import requests

from ictray import __version__, hosts
from ictray.appliance import contract, tokens
from ictray.appliance.errors import (
    ApplianceError,
    ApplianceUnreachableError,
    CertificateRejectedError,
    CredentialsRejectedError,
    DownloadIncompleteError,
    PermissionRefusedError,
    RecordingExpiredError,
)
from ictray.appliance.model import ApiInfo
from ictray.appliance.parse import MalformedReportError, find_error, parse_api_info
from ictray.appliance.transport import ReusedTlsAdapter
from ictray.errors import ConfigurationError
from ictray.logs import mask_values

log = logging.getLogger(__name__)

CHUNK_SIZE = 64 * 1024
#: How much of an answer is read before deciding whether it is an ``<error>`` document.
HEAD_SIZE = 4096
#: A token is renewed this long before it expires (at most; a tenth of its lifetime if less).
TOKEN_RENEW_MARGIN = tokens.RENEW_MARGIN
#: where API accounts and their permissions are set up on the appliance
API_CONFIGURATION = "/login > Management > API Configuration"
#: What ``requests`` raises when a connection drops while a body is being read.
STREAM_ERRORS = (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError)


def normalise_host(host: str) -> str:
    """``name[:port]`` of a site (an ``https://`` prefix is allowed; plain HTTP is refused)."""
    return hosts.normalise_host(host, https_only=True).host


class SiteAccess(Protocol):
    """What a client needs of a configured site (the settings' ``SiteCredentials`` has it)."""

    @property
    def name(self) -> str: ...

    @property
    def host(self) -> str: ...

    @property
    def client_id(self) -> str: ...

    @property
    def client_secret(self) -> str: ...

    @property
    def ca_bundle(self) -> str | None: ...


class ApiResponse:
    """An answer that is not an ``<error>`` document, with its body still to be read.

    ``head`` is what was read to check for an ``<error>``; ``iter_bytes`` yields the whole
    body (head included) once. Close it (or use ``with``) to give the connection back.
    """

    def __init__(self, response: requests.Response, head: bytes, rest: Iterator[bytes]) -> None:
        self.response = response
        self.head = head
        self._rest = rest

    @property
    def headers(self) -> Mapping[str, str]:
        return self.response.headers

    @property
    def content_length(self) -> int | None:
        """The announced length of the body as sent (``None`` if chunked or compressed)."""
        return _content_length(self.response)

    def iter_bytes(self) -> Iterator[bytes]:
        """The body in chunks; a dropped connection raises ``requests`` exceptions."""
        if self.head:
            yield self.head
        yield from self._rest

    def close(self) -> None:
        self.response.close()

    def __enter__(self) -> ApiResponse:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@dataclass(frozen=True)
class ApplianceClock:
    """The appliance's time, read at the start of a run or a site test.

    ``now`` is the appliance's UNIX time (whole seconds); ``skew`` how many seconds this
    computer's clock is ahead of it (negative: behind), good to about a second; ``source``
    where it came from: ``get_api_info`` or ``the Date header``. ``info`` is the
    get_api_info answer when the command API gave it.
    """

    now: int
    skew: float
    source: str
    info: ApiInfo | None = None


class RetryBudget:
    """How many more tries one operation may make, and how long it may keep trying."""

    def __init__(self, max_retries: int, max_time: float, base: float, cap: float) -> None:
        self.max_retries = max_retries
        self.deadline = time.monotonic() + max_time
        self.base = base
        self.cap = cap
        self.retries = 0

    def next_wait(self, retry_after: float | None = None) -> float | None:
        """Seconds to wait before trying again, or ``None`` when the budget is spent.

        Without ``retry_after`` the wait grows exponentially, with jitter so that clients
        that failed together do not come back together.
        """
        if self.retries >= self.max_retries:
            return None
        if retry_after is None:
            wait = min(self.cap, self.base * 2**self.retries) * random.uniform(0.5, 1.0)
        else:
            wait = retry_after
        if time.monotonic() + wait > self.deadline:
            return None
        self.retries += 1
        return wait


class ApplianceClient:
    """Speaks to one site over HTTPS with certificate verification always on.

    ``host`` is ``name[:port]``; ``ca_bundle`` a PEM file of CAs to trust instead of the
    system store (for appliances with a private CA). ``timeout`` bounds every socket wait;
    ``max_retries`` and ``max_retry_time`` bound the retries of one call, which wait
    ``backoff_base * 2**n`` seconds (with jitter, at most ``backoff_max``). ``site_name`` is
    the name error messages use (default: the host). ``token_cache`` holds the site's token
    and what was learnt of it; by default the one the whole process shares.
    """

    def __init__(
        self,
        host: str,
        client_id: str,
        client_secret: str,
        *,
        ca_bundle: str | None = None,
        timeout: float = 30,
        max_retries: int = 5,
        max_retry_time: float = 120,
        site_name: str | None = None,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        token_cache: tokens.TokenCache | None = None,
    ) -> None:
        self.host = normalise_host(host)
        self.site_name = site_name or self.host
        if not client_id or not client_secret:
            raise ConfigurationError(
                f"site {self.site_name}: the client id and client secret of an API account "
                "are both needed (see /login > Management > API Configuration)"
            )
        if ca_bundle is not None and not Path(ca_bundle).is_file():
            raise ConfigurationError(
                f"site {self.site_name}: the CA file {ca_bundle} does not exist; "
                "give the PEM file of the CA that signed the appliance's certificate"
            )
        self.base_url = f"https://{self.host}"
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_retry_time = max_retry_time
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self._client_id = client_id
        self._client_secret = client_secret
        self._verify: str | bool = ca_bundle if ca_bundle is not None else True
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._sessions_lock = threading.Lock()
        self._tokens = token_cache if token_cache is not None else tokens.SHARED
        self.site = self._tokens.entry(self.host, client_id, client_secret)
        self._secrets: list[str] = [client_secret]

    @classmethod
    def for_site(cls, credentials: SiteAccess, **options: Any) -> ApplianceClient:
        """A client for a configured site (its name, host, client id and secret, CA file)."""
        return cls(
            credentials.host,
            credentials.client_id,
            credentials.client_secret,
            ca_bundle=credentials.ca_bundle,
            site_name=credentials.name,
            **options,
        )

    # -- lifecycle --------------------------------------------------------------------------

    @property
    def _session(self) -> requests.Session:
        """This thread's HTTP session (``requests.Session`` is not made for sharing)."""
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.mount("https://", ReusedTlsAdapter())  # not a TLS context per call
            session.headers["User-Agent"] = f"ictray/{__version__}"
            if contract.CLOSE_CONNECTION_AFTER_EACH_CALL:
                session.headers["Connection"] = "close"
            self._local.session = session
            with self._sessions_lock:
                self._sessions.append(session)
        return session

    def close(self) -> None:
        with self._sessions_lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()

    def __enter__(self) -> ApplianceClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ApplianceClient(host={self.host!r}, site_name={self.site_name!r})"

    # -- public calls -----------------------------------------------------------------------

    def get_api_info(self) -> ApiInfo:
        """The API version, the appliance's clock and the account's permissions.

        It belongs to the command API, which an account set up as the guide says may not use:
        the refusal is a ``PermissionRefusedError`` (or another ``ApplianceError``).
        """
        params = {contract.ACTION: contract.GET_API_INFO}
        with self.open(
            "GET",
            contract.COMMAND_PATH,
            params=params,
            what="the API information",
            needs=contract.COMMAND,
        ) as answer:
            body = b"".join(self.read_all(answer, what="the API information"))
        return parse_api_info(body)

    def read_clock(self) -> ApplianceClock:
        """The appliance's time and this computer's skew, whether or not the command API answers.

        ``get_api_info`` is asked while the command API answers this account; once it refused
        (remembered for the site, for the whole process), the ``Date`` header of an answer
        is read instead: of the token request when a token was just fetched, else of a
        listing of a one-second window, which costs the appliance nothing. Both are whole
        seconds; the estimate takes the middle of the round trip and of the second, so it is
        good to about a second. A fast local clock loses data (a window ending at the local
        "now" reaches past what the appliance has recorded), so runs end windows at ``now``.
        """
        self._local.date = None
        self._bearer()  # rejected credentials are theirs to report, not the command API's
        if self.site.command_api is not False:
            self._local.date = None
            sent = time.time()
            try:
                info = self.get_api_info()
            except (ApplianceUnreachableError, DownloadIncompleteError, CertificateRejectedError):
                raise
            except (ApplianceError, MalformedReportError) as error:
                self.site.command_api = False
                log.info(
                    "site %s: the command API does not answer this API account (%s); the "
                    "appliance's clock is read from the Date header of its answers",
                    self.site_name,
                    self.describe(error),
                )
            else:
                received = time.time()
                self.site.command_api = True
                skew = measured_skew(sent, received, info.timestamp)
                return ApplianceClock(info.timestamp, skew, "get_api_info", info)
        found = self._clock_from_date()
        if found is not None:
            return found
        self._probe_clock()
        found = self._clock_from_date()
        if found is None:
            raise ApplianceError(
                self.site_name,
                "the appliance's answers carry no Date header and the command API does not "
                "answer this API account, so the appliance's clock cannot be read; give the "
                f"API account read-only access to the command API ({API_CONFIGURATION})",
            )
        return found

    def clock_skew(self) -> float:
        """Seconds the local clock is ahead of the appliance's (negative: behind)."""
        return self.read_clock().skew

    def _probe_clock(self) -> None:
        """Ask for something cheap, for the Date header of the answer (whatever it says)."""
        params = {
            contract.GENERATE_REPORT: contract.SUPPORT_SESSION_LISTING,
            contract.START_TIME: str(int(time.time())),
            contract.DURATION: "1",
        }
        response = self._send(
            "GET",
            contract.REPORTING_PATH,
            what="the appliance's clock",
            params=params,
            data=None,
            json=None,
            budget=self.retry_budget(),
        )
        response.close()

    def _note_date(self, response: requests.Response, sent: float, received: float) -> None:
        """Remember this thread's last answer's Date header, with when it was asked for."""
        self._local.date = (sent, received, response.headers.get(contract.DATE_HEADER))

    def _clock_from_date(self) -> ApplianceClock | None:
        noted = getattr(self._local, "date", None)
        if noted is None or not noted[2]:
            return None
        sent, received, header = noted
        try:
            stamp = int(parsedate_to_datetime(header).timestamp())
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        return ApplianceClock(stamp, measured_skew(sent, received, stamp), "the Date header")

    @overload
    def open(
        self,
        method: str,
        path: str,
        *,
        what: str,
        params: Mapping[str, str] | None = ...,
        data: Mapping[str, str] | None = ...,
        json: Mapping[str, str] | None = ...,
        empty_ok: Literal[False] = ...,
        budget: RetryBudget | None = ...,
        needs: contract.Permission | None = ...,
    ) -> ApiResponse: ...

    @overload
    def open(
        self,
        method: str,
        path: str,
        *,
        what: str,
        params: Mapping[str, str] | None = ...,
        data: Mapping[str, str] | None = ...,
        json: Mapping[str, str] | None = ...,
        empty_ok: Literal[True],
        budget: RetryBudget | None = ...,
        needs: contract.Permission | None = ...,
    ) -> ApiResponse | None: ...

    def open(
        self,
        method: str,
        path: str,
        *,
        what: str,
        params: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        json: Mapping[str, str] | None = None,
        empty_ok: bool = False,
        budget: RetryBudget | None = None,
        needs: contract.Permission | None = None,
    ) -> ApiResponse | None:
        """Send one API call and return its answer unread, or ``None`` for "nothing matched".

        ``what`` names the thing asked for in messages ("the SupportSession report");
        ``params`` go in the query string, ``data`` in a form body, ``json`` in a JSON body. With
        ``empty_ok`` the appliance's "No ... matching your chosen criteria" answer means an
        empty result (``None``); otherwise it is an ``ApplianceError``. An expired recording
        raises ``RecordingExpiredError``; an answer that stops before its head could be read
        is asked for again, and ``DownloadIncompleteError`` when the budget is spent. ``needs``
        is the permission the call needs: a refusal for want of it is a
        ``PermissionRefusedError`` that names it.
        """
        budget = budget or self.retry_budget()
        while True:
            response = self._send(
                method, path, what=what, params=params, data=data, json=json, budget=budget
            )
            head = bytearray()
            try:
                rest = _read_head(response, head)
            except STREAM_ERRORS as error:
                response.close()
                self._wait_after_cut(budget, what, error, len(head), _content_length(response))
                continue
            break
        try:
            error_text = find_error(bytes(head))
            if error_text is not None:
                if empty_ok and contract.is_empty_result(error_text):
                    response.close()
                    return None
                raise self.error_for(error_text, what, needs, response.status_code)
            if not 200 <= response.status_code < 300:
                raise self._status_error(response, what, bytes(head), needs)
        except BaseException:
            response.close()
            raise
        return ApiResponse(response, bytes(head), rest)

    def read_all(self, answer: ApiResponse, *, what: str) -> Iterator[bytes]:
        """A small answer's body; a dropped connection is ``DownloadIncompleteError``."""
        received = 0
        try:
            for chunk in answer.iter_bytes():
                received += len(chunk)
                yield chunk
        except STREAM_ERRORS as error:
            raise self.cut_short(
                what, self.describe(error), received, answer.content_length, tries=1
            ) from None

    def cut_short(
        self, what: str, reason: str, received: int, expected: int | None, *, tries: int
    ) -> DownloadIncompleteError:
        """The error for an answer that stopped early (``tries`` attempts in all)."""
        of = f" of {expected}" if expected is not None else ""
        return DownloadIncompleteError(
            self.site_name,
            f"{what} was cut short after {received}{of} bytes ({tries} "
            f"{'try' if tries == 1 else 'tries'}: {self._scrub(reason)}); it is incomplete "
            "and will be asked for again",
            received=received,
            expected=expected,
        )

    def _wait_after_cut(
        self,
        budget: RetryBudget,
        what: str,
        error: BaseException,
        received: int,
        expected: int | None,
    ) -> None:
        """Sleep before asking again for an answer that stopped early, or raise."""
        wait = budget.next_wait()
        if wait is None:
            reason = self.describe(error)
            raise self.cut_short(what, reason, received, expected, tries=budget.retries + 1)
        log.warning(
            "site %s: %s stopped after %d bytes; asking again in %.1f s (%d of %d)",
            self.site_name,
            what,
            received,
            wait,
            budget.retries,
            budget.max_retries,
        )
        time.sleep(wait)

    def retry_budget(self) -> RetryBudget:
        """A fresh budget of retries, as one operation (including its re-downloads) may spend."""
        return RetryBudget(
            self.max_retries, self.max_retry_time, self.backoff_base, self.backoff_max
        )

    def remember_secret(self, value: str) -> None:
        """Keep ``value`` (a backup password) out of every message this client produces."""
        if value:
            self._secrets.append(value)

    def describe(self, error: BaseException) -> str:
        """``str(error)`` without query strings, secrets or tokens."""
        return self._scrub(str(error))

    # -- sending ----------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        *,
        what: str,
        params: Mapping[str, str] | None,
        data: Mapping[str, str] | None,
        json: Mapping[str, str] | None,
        budget: RetryBudget,
    ) -> requests.Response:
        """One call with retries; returns the first answer that is not worth retrying."""
        refreshed = False
        while True:
            token = self._bearer(budget)
            sent = time.time()
            try:
                response = self._session.request(
                    method,
                    self.base_url + path,
                    params=params,
                    data=data,
                    json=json,
                    headers={"Authorization": f"{contract.TOKEN_TYPE_BEARER} {token}"},
                    timeout=self.timeout,
                    verify=self._verify,
                    stream=True,
                    allow_redirects=False,
                )
            except requests.exceptions.RequestException as error:
                self._retry_after_exception(budget, error, what)
                continue
            self._note_date(response, sent, time.time())
            status = response.status_code
            if status == contract.INVALID_TOKEN_STATUS and not refreshed:
                response.close()
                self._forget_token(token)
                refreshed = True
                continue
            if status == contract.INVALID_TOKEN_STATUS:
                response.close()
                raise CredentialsRejectedError(
                    self.site_name,
                    f"the appliance refused a newly issued token for {what} (HTTP 401); check "
                    "that the API account is enabled and allowed to use this API",
                    status=status,
                )
            if status == contract.RATE_LIMITED_STATUS or status >= 500:
                self._retry_after_status(budget, response, what)
                continue
            return response

    def _retry_after_status(
        self, budget: RetryBudget, response: requests.Response, what: str
    ) -> None:
        """Wait as a 429 (its ``Retry-After``) or a 5xx (backoff) asks, or give up.

        An ``<error>`` text in the answer is kept in the reason, so a give-up says it.
        """
        status = response.status_code
        if status == contract.RATE_LIMITED_STATUS:
            reason, retry_after = f"rate limited (HTTP {status})", _retry_after(response)
        else:
            reason, retry_after = f"HTTP {status} {response.reason or ''}".strip(), None
        text = _error_text(response)
        response.close()
        if text:
            reason += f": {self._scrub(text)}"
        self._wait_or_raise(budget, retry_after, reason, what, status=status)

    def _retry_after_exception(
        self, budget: RetryBudget, error: requests.exceptions.RequestException, what: str
    ) -> None:
        if isinstance(error, requests.exceptions.SSLError) and _is_certificate_error(error):
            raise CertificateRejectedError(
                self.site_name,
                f"the TLS certificate of {self.host} could not be verified "
                f"({self.describe(error)}); if the appliance uses a private CA, give that "
                "CA's PEM file as the site's CA bundle",
            ) from None
        if isinstance(error, requests.exceptions.Timeout):
            reason = f"no answer within {self.timeout:g} s"
        elif isinstance(error, requests.exceptions.ConnectionError):
            reason = f"could not connect to {self.host} ({self.describe(error)})"
        else:
            raise ApplianceError(
                self.site_name, f"could not ask for {what}: {self.describe(error)}"
            ) from None
        self._wait_or_raise(budget, None, reason, what)

    def _wait_or_raise(
        self,
        budget: RetryBudget,
        retry_after: float | None,
        reason: str,
        what: str,
        *,
        status: int | None = None,
    ) -> None:
        wait = budget.next_wait(retry_after)
        if wait is None:
            raise ApplianceUnreachableError(
                self.site_name,
                f"gave up asking for {what} after {budget.retries + 1} tries: {reason}; "
                "check the host name, the network and that the appliance is up, then try again",
                status=status,
            )
        log.warning(
            "site %s: %s asking for %s; trying again in %.1f s (%d of %d)",
            self.site_name,
            reason,
            what,
            wait,
            budget.retries,
            budget.max_retries,
        )
        time.sleep(wait)

    # -- OAuth ------------------------------------------------------------------------------

    def _bearer(self, budget: RetryBudget | None = None) -> str:
        """The site's token, fetched when there is none or it is about to expire.

        Shared by every client of this site and API account in the process: while one thread
        fetches, the others wait for that token rather than fetching their own.
        """
        site = self.site
        with site.lock:
            token = site.token
            if token is None or self._tokens.clock() >= site.renew_at:
                token, lifetime = self._fetch_token(budget or self.retry_budget())
                site.token = token
                site.renew_at = self._tokens.renew_at(lifetime)
                site.tokens_fetched += 1
        if token not in self._secrets:
            self._secrets.append(token)
        return token

    def _forget_token(self, token: str) -> None:
        self.site.forget(token)

    def _fetch_token(self, budget: RetryBudget) -> tuple[str, float]:
        what = "an API token"
        while True:
            sent = time.time()
            try:
                response = self._session.post(
                    self.base_url + contract.TOKEN_PATH,
                    data={contract.GRANT_TYPE: contract.CLIENT_CREDENTIALS},
                    auth=(self._client_id, self._client_secret),
                    timeout=self.timeout,
                    verify=self._verify,
                    allow_redirects=False,
                )
            except requests.exceptions.RequestException as error:
                self._retry_after_exception(budget, error, what)
                continue
            self._note_date(response, sent, time.time())
            status = response.status_code
            if status == contract.RATE_LIMITED_STATUS or status >= 500:
                self._retry_after_status(budget, response, what)
                continue
            return self._token_from(response)

    def _token_from(self, response: requests.Response) -> tuple[str, float]:
        try:
            document = response.json()
        except ValueError:
            document = None
        if not isinstance(document, dict):
            error_text = find_error(response.content[:HEAD_SIZE])
            if error_text is not None:
                raise self.error_for(error_text, "an API token")
            raise ApplianceError(
                self.site_name,
                f"{self.host} answered the token request with HTTP {response.status_code} and no "
                "OAuth token; is it a BeyondTrust Remote Support site on version 16.1 or later?",
                status=response.status_code,
            )
        if document.get("error") == contract.OAUTH_INVALID_CLIENT:
            raise CredentialsRejectedError(
                self.site_name,
                "the client secret was rejected; was it regenerated on the appliance?",
                status=response.status_code,
            )
        token = document.get(contract.ACCESS_TOKEN)
        if "error" in document or not isinstance(token, str) or not token:
            detail = document.get("error_description") or document.get("error") or "no access_token"
            raise ApplianceError(
                self.site_name,
                f"the appliance refused an API token (HTTP {response.status_code}): "
                f"{self._scrub(str(detail))}",
                status=response.status_code,
            )
        try:
            lifetime = float(document.get(contract.EXPIRES_IN, contract.DEFAULT_TOKEN_LIFETIME))
        except (TypeError, ValueError):
            lifetime = contract.DEFAULT_TOKEN_LIFETIME
        return token, max(lifetime, 1.0)

    # -- errors -----------------------------------------------------------------------------

    def error_for(
        self,
        text: str,
        what: str,
        needs: contract.Permission | None = None,
        status: int | None = None,
    ) -> ApplianceError:
        """The typed error for an ``<error>`` document's text (and the call's permission)."""
        text = self._scrub(text.strip())
        if needs is not None and (status == 403 or contract.is_permission_refusal(text)):
            return self._permission_error(needs, what, text, status)
        if contract.is_recording_expired(text):
            return RecordingExpiredError(
                self.site_name, f"{what} has expired on the appliance: {text}", appliance_text=text
            )
        if text == contract.LOGIN_FAILED:
            return CredentialsRejectedError(
                self.site_name,
                "the appliance answered 'Login failed'; check the API account's client id and "
                "secret (sites before 16.1 are not supported)",
                appliance_text=text,
            )
        return ApplianceError(
            self.site_name, f"the appliance refused {what}: {text}", appliance_text=text
        )

    def _permission_error(
        self, needs: contract.Permission, what: str, text: str, status: int | None
    ) -> PermissionRefusedError:
        said = f" ({text})" if text else ""
        return PermissionRefusedError(
            self.site_name,
            f"the API account may not use {needs.opens}: the appliance refused {what}{said}; "
            f"grant it the permission '{needs.label}' ({API_CONFIGURATION})",
            permission=needs,
            appliance_text=text or None,
            status=status,
        )

    def _status_error(
        self,
        response: requests.Response,
        what: str,
        head: bytes,
        needs: contract.Permission | None = None,
    ) -> ApplianceError:
        status = response.status_code
        if status == 403 and needs is not None:
            return self._permission_error(needs, what, find_error(head) or "", status)
        if status == 403:
            message = (
                f"the API account may not read {what} (HTTP 403); give it the reporting "
                "(and, for backups, backup) permission on the appliance"
            )
        elif status == 404:
            message = (
                f"{self.host} has no API for {what} (HTTP 404); is it a BeyondTrust Remote "
                "Support site with the API enabled?"
            )
        else:
            snippet = head[:200].decode("utf-8", "replace").strip()
            message = f"the appliance answered HTTP {status} for {what}: {self._scrub(snippet)}"
        return ApplianceError(self.site_name, message, status=status)

    def _scrub(self, text: str) -> str:
        """``text`` without query strings (where a password could hide) and known secrets."""
        text = re.sub(r"\?[^\s'\")]*", "", text)
        return mask_values(text, self._secrets, "***")  # whole secrets, never a word's letters


def measured_skew(sent: float, received: float, appliance_second: int) -> float:
    """Seconds the local clock is ahead of the appliance's, from one answer: the appliance's
    whole second (it truncates) is taken at its middle, the local time at the middle of the
    request's round trip."""
    return (sent + received) / 2 - (appliance_second + 0.5)


def describe_clock_skew(skew: float) -> str:
    """``clock_skew()`` in words, with the advice a fast local clock needs."""
    if abs(skew) < 2:
        return "none (this computer's clock matches the appliance's)"
    direction = "ahead of" if skew > 0 else "behind"
    warning = ""
    if skew > 0:
        warning = (
            " — a clock ahead of the appliance loses data; "
            "synchronise both with the same NTP server"
        )
    return f"this computer's clock is {abs(skew):.0f} s {direction} the appliance's{warning}"


def _read_head(response: requests.Response, head: bytearray) -> Iterator[bytes]:
    """Read at least ``HEAD_SIZE`` bytes (or all, if less) into ``head``; the rest, unread."""
    chunks = response.iter_content(CHUNK_SIZE)
    for chunk in chunks:
        head += chunk
        if len(head) >= HEAD_SIZE:
            break
    return chunks


def _error_text(response: requests.Response) -> str | None:
    """The ``<error>`` text at the start of a (failed) answer, if any; never raises."""
    try:
        head = next(response.iter_content(HEAD_SIZE), b"")
    except (*STREAM_ERRORS, requests.exceptions.ContentDecodingError):
        return None
    return find_error(head)


def _content_length(response: requests.Response) -> int | None:
    """The announced length of a body as sent (``None`` if chunked or compressed)."""
    if response.headers.get("Content-Encoding", "identity") != "identity":
        return None
    value = response.headers.get("Content-Length", "")
    return int(value) if value.isdigit() else None


def _retry_after(response: requests.Response) -> float | None:
    """The wait an HTTP ``Retry-After`` asks for: seconds or an HTTP date."""
    value = response.headers.get(contract.RETRY_AFTER, "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError, IndexError):
        return None


def _is_certificate_error(error: BaseException) -> bool:
    """True when an SSL error (somewhere in its chain) is a failed certificate check."""
    seen: set[int] = set()
    stack: list[object] = [error]
    while stack:
        item = stack.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, ssl.SSLCertVerificationError):
            return True
        stack.extend([item.__cause__, item.__context__, getattr(item, "reason", None), *item.args])
    return "CERTIFICATE_VERIFY_FAILED" in str(error)
