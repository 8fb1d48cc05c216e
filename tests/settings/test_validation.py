"""The rules for what a person types: hosts, names, periods, times of day, e-mail, days."""

from __future__ import annotations

import pytest

from ictray.errors import ValidationError
from ictray.settings import validation


@pytest.mark.parametrize(
    ("typed", "stored", "noticed"),
    [
        ("support.example.com", "support.example.com", False),
        ("https://support.example.com/", "support.example.com", True),
        ("HTTPS://Support.Example.COM", "support.example.com", True),
        ("http://support.example.com", "support.example.com", True),
        ("support.example.com:8443", "support.example.com:8443", False),
        ("support.example.com:443", "support.example.com", True),
        ("  support.example.com  ", "support.example.com", False),
        ("127.0.0.1:8443", "127.0.0.1:8443", False),
        ("[::1]:8443", "[::1]:8443", False),
        ("localhost", "localhost", False),
        ("bücher.example", "bücher.example", False),
    ],
)
def test_hosts_are_normalised(typed: str, stored: str, noticed: bool) -> None:
    checked = validation.normalise_host(typed)
    assert checked.host == stored
    assert (checked.notice is not None) == noticed
    if noticed:
        assert stored in checked.notice


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("support.example.com/api", "contains a path (/api)"),
        ("https://support.example.com/login?x=1", "contains a path"),
        ("support example.com", "contains spaces"),
        ("", "is required"),
        ("ftp://support.example.com", "not a site address"),
        ("support.example.com:99999", "invalid port"),
        ("support.example.com:http", "invalid port"),
        ("-bad-.example.com", "not a valid host name"),
        ("under_score.example.com", "not a valid host name"),
        ("[::zz]:443", "not a valid IPv6"),
        ("user@support.example.com", "contains '@'"),
    ],
)
def test_bad_hosts_are_refused_with_the_reason(typed: str, says: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validation.normalise_host(typed)
    assert caught.value.field == "host"
    assert says in caught.value.message


@pytest.mark.parametrize(
    ("typed", "minutes"),
    [
        ("1m", 1),
        ("15m", 15),
        ("90", 90),
        ("2h", 120),
        ("1h30m", 90),
        ("1d", 1440),
        ("7d", 10080),
        ("1w", 10080),
        ("3 days", 4320),
        ("45 minutes", 45),
    ],
)
def test_periods_from_one_minute_to_seven_days(typed: str, minutes: int) -> None:
    assert validation.parse_period(typed) == minutes


@pytest.mark.parametrize("typed", ["0m", "0", "8d", "7d1m", "2w", "", "soon", "15x", "-5m"])
def test_periods_outside_the_range_or_unreadable_are_refused(typed: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validation.parse_period(typed)
    assert caught.value.field == "every"
    assert "1 minute to 7 days" in caught.value.message


def test_period_formatting_reads_back() -> None:
    for minutes in (1, 59, 60, 90, 1439, 1440, 2880, 10080):
        assert validation.parse_period(validation.format_period(minutes)) == minutes


def test_time_of_day_only_for_whole_days() -> None:
    assert validation.parse_time_of_day("2:30", 1440) == "02:30"
    assert validation.parse_time_of_day("", 15) is None
    with pytest.raises(ValidationError, match="whole days"):
        validation.parse_time_of_day("02:30", 120)
    with pytest.raises(ValidationError, match="HH:MM"):
        validation.parse_time_of_day("25:00", 1440)
    with pytest.raises(ValidationError, match="HH:MM"):
        validation.parse_time_of_day("noon", 1440)


def test_names() -> None:
    assert validation.check_name("name", "  Main site ") == "Main site"
    for bad, says in (
        ("", "required"),
        ("a" * 101, "longer"),
        ("a\tb", "control"),
        ("a:b", "cannot contain ':'"),
    ):
        with pytest.raises(ValidationError, match=says):
            validation.check_name("name", bad)


def test_days_email_and_ports() -> None:
    assert validation.check_days("", "d") is None
    assert validation.check_days("never", "d") is None
    assert validation.check_days("30", "d") == 30
    with pytest.raises(ValidationError, match="number of days"):
        validation.check_days("0", "d")
    assert validation.check_email(" ops@example.com ", "to") == "ops@example.com"
    with pytest.raises(ValidationError, match="not an e-mail address"):
        validation.check_email("ops at example", "to")
    assert validation.check_port("587") == 587
    with pytest.raises(ValidationError, match="port"):
        validation.check_port("0")


def test_local_times_for_a_start_date() -> None:
    from datetime import datetime

    expected = int(datetime(2026, 11, 1, 8, 30).astimezone().timestamp())
    assert validation.parse_local_time("2026-11-01 08:30", "start") == expected
    assert validation.parse_local_time("2026-11-01T08:30", "start") == expected
    midnight = int(datetime(2026, 11, 1).astimezone().timestamp())
    assert validation.parse_local_time(" 2026-11-01 ", "start") == midnight
    with pytest.raises(ValidationError) as caught:
        validation.parse_local_time("1 Nov", "start")
    assert caught.value.field == "start"
    assert "use YYYY-MM-DD or YYYY-MM-DD HH:MM" in caught.value.message
