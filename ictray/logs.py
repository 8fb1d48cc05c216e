"""The two logs of the guide — the IC log (the program) and the Service log (the scheduler).

Each log is one file per day (``ic-2026-11-28.log``, ``service-2026-11-28.log``) in the
configured folder. Day files are used instead of ``TimedRotatingFileHandler`` because the tray,
the service and the command line may write the same log at once, and renaming a file another
process holds open fails on Windows; appending to a dated file never renames anything. Files
older than the configured number of days are removed. Known secrets and credential-looking text
are masked in every record before it is written anywhere (see ``SecretMasker``).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TextIO

IC_LOG = "ic"
SERVICE_LOG = "service"
LOG_KINDS = (IC_LOG, SERVICE_LOG)
MASK = "********"

LOGGER_NAME = "ictray"
SERVICE_LOGGERS = ("ictray.scheduler", "ictray.transfer")
FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(context)s%(message)s"

_FILE_PATTERN = re.compile(r"^(ic|service)-(\d{4}-\d{2}-\d{2})\.log$")

#: A secret this long is masked wherever it appears, inside other text too: a string of 12
#: characters or more is found in a message only because it was copied there, so masking it
#: gives nothing away. A shorter one could be part of an ordinary word ("e" of a one-letter
#: secret is in "refused"): masked there, it would mangle every message and its letters would
#: show in the pattern of masks. It is masked where it stands alone, and wherever it is the
#: value of a known field (below).
SUBSTRING_MIN = 12

_SECRET_NAMES = r"(?:access_token|refresh_token|client_secret|\w*password|passwd|pwd|secret)"
_VALUE = r"(?:\"[^\"]*\"|'[^']*'|[^\s;&\"',]+)"
_CREDENTIAL_PATTERNS = [
    re.compile(r"(?i)(authorization:\s*(?:bearer|basic)\s+)\S+"),
    # key=value: query strings, form bodies, connection strings (Password="a;b" quoted whole)
    re.compile(rf"(?i)(\b{_SECRET_NAMES}\s*=\s*){_VALUE}"),
    # "key": "value" in JSON and Python reprs (not "client secret: ..." in prose)
    re.compile(rf"(?i)([\"']{_SECRET_NAMES}[\"']\s*:\s*)(?:\"[^\"]*\"|'[^']*')"),
    # the password of a URL: scheme://user:password@host
    re.compile(r"(?i)(://[^/\s:@]+:)[^@\s/]+(@)"),
]


def _secret_pattern(secret: str) -> str:
    """The regular expression that finds ``secret`` as ``SecretMasker`` masks it."""
    text = re.escape(secret)
    if len(secret) >= SUBSTRING_MIN:
        return text
    before = r"(?<!\w)" if re.match(r"\w", secret[0]) else ""
    after = r"(?!\w)" if re.match(r"\w", secret[-1]) else ""
    return before + text + after


def mask_values(text: str, secrets: Iterable[str], mask: str = MASK) -> str:
    """``text`` with these secrets masked by the rules of ``SecretMasker`` (for messages that
    do not pass through a log: a driver's error shown to the user)."""
    ordered = sorted((secret for secret in secrets if secret), key=len, reverse=True)
    if not ordered:
        return text
    return re.sub("|".join(map(_secret_pattern, ordered)), lambda _: mask, text)


class SecretMasker(logging.Filter):
    """Replaces registered secret values and credential-looking text in log records.

    Every secret becomes the same ``MASK``, whatever its length. A long secret is masked
    wherever it appears; a short one only where it stands alone (see ``SUBSTRING_MIN``).
    Values of known fields (``password=``, ``"client_secret": "..."``, the password of a URL,
    an ``Authorization`` header) are masked whatever they are.
    """

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()

    def register(self, secret: str | None) -> None:
        """Never let this value reach a log."""
        if secret and secret.strip():
            with self._lock:
                if secret not in self._secrets:
                    self._secrets.add(secret)
                    self._pattern = None

    def _compiled(self) -> re.Pattern[str] | None:
        with self._lock:
            if self._pattern is None and self._secrets:
                # Longest first: where one secret holds another, the whole of it is masked.
                ordered = sorted(self._secrets, key=len, reverse=True)
                self._pattern = re.compile("|".join(map(_secret_pattern, ordered)))
            return self._pattern

    def mask(self, text: str) -> str:
        pattern = self._compiled()
        if pattern is not None:
            text = pattern.sub(MASK, text)
        for credential in _CREDENTIAL_PATTERNS:
            text = credential.sub(
                lambda m: m.group(1) + MASK + (m.group(2) if m.lastindex == 2 else ""), text
            )
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        masked = self.mask(message)
        record.msg, record.args = masked, None
        if record.exc_text:
            record.exc_text = self.mask(record.exc_text)
        return True


masker = SecretMasker()


class ContextFormatter(logging.Formatter):
    """The log line format, with ``[schedule]`` before the message of a schedule's records.

    The scheduler and the transfers pass the schedule's name as ``extra``; the tag lets the
    Log File viewer (and a person with grep) find the lines of one schedule's run.
    """

    def format(self, record: logging.LogRecord) -> str:
        schedule = getattr(record, "schedule", "")
        record.context = f"[{schedule}] " if schedule else ""
        return super().format(record)


def register_secret(secret: str | None) -> None:
    """Mask ``secret`` in every log from now on (called wherever a secret is loaded)."""
    masker.register(secret)


def log_path(folder: Path, kind: str, day: date) -> Path:
    return folder / f"{kind}-{day.isoformat()}.log"


class DailyFileHandler(logging.Handler):
    """Appends to ``<kind>-<date>.log``, switching files at local midnight."""

    def __init__(self, folder: Path, kind: str) -> None:
        super().__init__()
        self.folder = folder
        self.kind = kind
        self._day: date | None = None
        self._stream: TextIO | None = None

    def _stream_for(self, day: date) -> TextIO:
        if self._stream is None or day != self._day:
            if self._stream is not None:
                self._stream.close()
            self.folder.mkdir(parents=True, exist_ok=True)
            self._stream = log_path(self.folder, self.kind, day).open("a", encoding="utf-8")
            self._day = day
        return self._stream

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
            with self.lock:  # type: ignore[union-attr]
                stream = self._stream_for(datetime.fromtimestamp(record.created).date())
                stream.write(text + "\n")
                stream.flush()
        except Exception:
            self.handleError(record)

    def close(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            if self._stream is not None:
                self._stream.close()
                self._stream = None
        super().close()


def remove_old_logs(folder: Path, days: int | None, today: date | None = None) -> list[Path]:
    """Delete day files older than ``days`` days (None keeps everything); return what went."""
    if days is None or not folder.is_dir():
        return []
    cutoff = (today or date.today()) - timedelta(days=days)
    removed = []
    for path in folder.iterdir():
        match = _FILE_PATTERN.match(path.name)
        if match and date.fromisoformat(match.group(2)) < cutoff:
            try:
                path.unlink()
                removed.append(path)
            except OSError:
                continue  # held open elsewhere (Windows); the next clean-up gets it
    return removed


def setup_logging(
    folder: Path,
    *,
    removal_days: int | None = None,
    console: bool = False,
    level: int = logging.INFO,
) -> logging.Logger:
    """Send ictray's logging to the two logs in ``folder`` (and warnings to the console if asked).

    The Service log takes what the scheduler and the transfers do (loggers ``ictray.scheduler``
    and ``ictray.transfer``); the IC log takes the rest of the program. Calling this again
    replaces the handlers it installed before, so a changed log folder takes effect at once.
    """
    root = logging.getLogger(LOGGER_NAME)
    root.setLevel(level)
    root.propagate = False
    for name in (LOGGER_NAME, *SERVICE_LOGGERS):
        logger = logging.getLogger(name)
        for handler in list(logger.handlers):
            if getattr(handler, "ictray_owned", False):
                logger.removeHandler(handler)
                handler.close()
    _attach(root, DailyFileHandler(folder, IC_LOG))
    service = DailyFileHandler(folder, SERVICE_LOG)
    for name in SERVICE_LOGGERS:
        logger = logging.getLogger(name)
        logger.propagate = False
        _attach(logger, service)
    if console:
        stream = logging.StreamHandler()
        stream.setLevel(logging.WARNING)
        for name in (LOGGER_NAME, *SERVICE_LOGGERS):
            _attach(logging.getLogger(name), stream)
    remove_old_logs(folder, removal_days)
    return root


def _attach(logger: logging.Logger, handler: logging.Handler) -> None:
    if not getattr(handler, "ictray_owned", False):
        handler.setFormatter(ContextFormatter(FORMAT))
        handler.addFilter(masker)
        handler.ictray_owned = True  # type: ignore[attr-defined]
    logger.addHandler(handler)


def add_handler(handler: logging.Handler) -> None:
    """Attach another handler (the e-mail notifier) to both logs."""
    for name in (LOGGER_NAME, *SERVICE_LOGGERS):
        _attach(logging.getLogger(name), handler)


def latest_log(folder: Path, kind: str) -> Path | None:
    """The newest day file of this log, if any."""
    files = sorted(p for p in folder.glob(f"{kind}-*.log") if _FILE_PATTERN.match(p.name))
    return files[-1] if files else None


def tail(path: Path, lines: int) -> list[str]:
    """The last ``lines`` lines of a log file."""
    with path.open("r", encoding="utf-8", errors="replace") as handle:
        return handle.readlines()[-lines:] if lines > 0 else []


def follow(
    folder: Path,
    kind: str,
    *,
    poll: float = 0.5,
    stop: threading.Event | None = None,
) -> Iterator[str]:
    """Yield new lines as they are written, moving on to the next day's file when it appears."""
    current = latest_log(folder, kind)
    position = current.stat().st_size if current else 0
    while stop is None or not stop.is_set():
        newest = latest_log(folder, kind)
        if newest is not None and newest != current:
            current, position = newest, 0
        if current is not None and current.exists():
            with current.open("r", encoding="utf-8", errors="replace") as handle:
                handle.seek(position)
                yield from handle
                position = handle.tell()
        time.sleep(poll)
