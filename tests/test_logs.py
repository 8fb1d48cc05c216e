"""The IC log and the Service log: day files, removal after N days, masking, following."""

from __future__ import annotations

import logging
import threading
import time
from datetime import date, timedelta
from pathlib import Path

from ictray import logs


def test_records_go_to_the_days_file_of_their_log(tmp_path: Path) -> None:
    logs.setup_logging(tmp_path)
    logging.getLogger("ictray.scheduler").info("schedule %r started", "nightly")
    logging.getLogger("ictray.transfer").warning("clock skew")
    logging.getLogger("ictray.cli").info("settings changed")
    path = logs.log_path(tmp_path, logs.SERVICE_LOG, date.today())
    text = path.read_text()
    assert "INFO" in text and "ictray.scheduler: schedule 'nightly' started" in text
    assert "ictray.transfer: clock skew" in text
    assert "settings changed" not in text
    assert logs.latest_log(tmp_path, logs.SERVICE_LOG) == path
    ic_text = logs.latest_log(tmp_path, logs.IC_LOG).read_text()
    assert "ictray.cli: settings changed" in ic_text and "nightly" not in ic_text


def test_switching_the_log_replaces_the_handler(tmp_path: Path) -> None:
    logs.setup_logging(tmp_path / "a")
    logger = logs.setup_logging(tmp_path / "b")
    logger.warning("only in b")
    assert not (tmp_path / "a").exists() or not any((tmp_path / "a").iterdir())
    assert "only in b" in logs.tail(logs.latest_log(tmp_path / "b", logs.IC_LOG), 5)[-1]


def test_old_logs_are_removed_after_the_set_number_of_days(tmp_path: Path) -> None:
    today = date(2026, 11, 28)
    for age in (0, 1, 29, 30, 31, 90):
        day = today - timedelta(days=age)
        logs.log_path(tmp_path, logs.IC_LOG, day).write_text("x\n")
    keep_me = tmp_path / "notes.txt"
    keep_me.write_text("not a log")
    removed = logs.remove_old_logs(tmp_path, 30, today=today)
    assert sorted(p.name for p in removed) == ["ic-2026-08-30.log", "ic-2026-10-28.log"]
    assert keep_me.exists()
    assert logs.remove_old_logs(tmp_path, None, today=today) == []


def test_secrets_and_credentials_are_masked(tmp_path: Path) -> None:
    logger = logs.setup_logging(tmp_path)
    logs.register_secret("cl1ent-s3cret-xyz")
    logger.error("auth failed for cl1ent-s3cret-xyz")
    logger.error("header Authorization: Bearer abcdefghijklmnop was refused")
    logger.error("connecting to postgresql://ic:dbpass99@db.example.com/ic failed")
    logger.error("connection string Server=db;User Id=ic;Password=Pa55word;Database=x")
    try:
        raise RuntimeError("secret in a traceback: cl1ent-s3cret-xyz")
    except RuntimeError:
        logger.exception("crashed")
    text = logs.latest_log(tmp_path, logs.IC_LOG).read_text()
    for secret in ("cl1ent-s3cret-xyz", "abcdefghijklmnop", "dbpass99", "Pa55word"):
        assert secret not in text
    assert text.count("********") >= 5
    assert "postgresql://ic:********@db.example.com/ic" in text


def test_follow_yields_new_lines(tmp_path: Path) -> None:
    logger = logs.setup_logging(tmp_path)
    logger.info("before following")
    stop = threading.Event()
    seen: list[str] = []

    def reader() -> None:
        for line in logs.follow(tmp_path, logs.IC_LOG, poll=0.05, stop=stop):
            seen.append(line)

    thread = threading.Thread(target=reader)
    thread.start()
    time.sleep(0.2)
    logger.info("after following")
    deadline = time.monotonic() + 5
    while not seen and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    thread.join(5)
    assert len(seen) == 1 and "after following" in seen[0]
    logging.getLogger(logs.LOGGER_NAME).handlers.clear()


def test_a_short_secret_is_masked_where_it_stands_alone_never_inside_words(
    tmp_path: Path,
) -> None:
    """A four-letter password used to be masked inside every word holding it, mangling the
    messages and showing where its letters are; now only where it stands alone, or as the
    value of a known field, and always as the same mask whatever its length."""
    logger = logs.setup_logging(tmp_path)
    logs.register_secret("roti")
    logs.register_secret("a-long-database-password-9")
    logger.error("Max retries exceeded: the protocol of rotisserie.example.com")
    logger.error("the password roti was refused; login=ic password=roti")
    logger.error("dsn host=db password=x user=ic; token xa-long-database-password-9y")
    logger.error("client secret: give it with --client-secret-env VAR")
    text = logs.latest_log(tmp_path, logs.IC_LOG).read_text()
    assert "Max retries exceeded: the protocol of rotisserie.example.com" in text
    assert "the password ******** was refused; login=ic password=********" in text
    assert "dsn host=db password=******** user=ic; token x********y" in text
    assert "client secret: give it with --client-secret-env VAR" in text
    assert "a-long-database-password-9" not in text


def test_each_test_runs_in_a_home_of_its_own(private_home: Path) -> None:
    """The automatic fixture of tests/conftest.py: the per-user settings file and log folder
    of a test are in its own home, never the real one."""
    from ictray.settings.paths import default_log_folder, default_settings_path

    assert Path.home() == private_home
    assert default_settings_path().is_relative_to(private_home)
    assert default_log_folder().is_relative_to(private_home)
    assert default_log_folder(default_settings_path()) == default_log_folder()
    assert default_log_folder(private_home / "trial.db") == private_home / "trial-logs"
