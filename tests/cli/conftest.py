"""Run the real ``ictray`` command line against a settings file of the test's own.

``cli`` runs it in this process (``ictray.cli.main`` with its own environment, standard input
and output), which gives the same answers as a new process in a fraction of the time; what
lives in the process (the environment, the logging set up, the settings file bound to the
models, the cycle collector) is put back after each command. ``cli_process`` runs
``python -m ictray`` for real, for what only a new process shows: a changed ``PYTHONPATH``,
importing from scratch, signals.
"""

from __future__ import annotations

import gc
import io
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest

from ictray import cli as command_line
from ictray.logs import LOGGER_NAME, SERVICE_LOGGERS
from ictray.settings import db as settings_db
from ictray.transfer import collector


@dataclass
class Result:
    code: int
    out: str
    err: str


CLI = Callable[..., Result]


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """An environment with its own settings file and no credential store (the server case)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ICTRAY_", "PYTHON_KEYRING"))}
    env["ICTRAY_SETTINGS"] = str(tmp_path / "settings.db")
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    env["XDG_DATA_HOME"] = str(tmp_path / "xdg-data")
    return env


def _read_time_zone() -> None:
    if hasattr(time, "tzset"):  # POSIX: the C library reads TZ again
        time.tzset()


@contextmanager
def _process_state(environment: dict[str, str], stdin: str | None) -> Iterator[None]:
    """This process as a new one would start the command, and as it was again afterwards."""
    saved_environment = dict(os.environ)
    saved_stdin = sys.stdin
    loggers = [logging.getLogger(name) for name in (LOGGER_NAME, *SERVICE_LOGGERS)]
    saved_loggers = [(lg, list(lg.handlers), lg.level, lg.propagate) for lg in loggers]
    saved_database = settings_db.database_proxy.obj
    saved_tempdir = tempfile.tempdir
    os.environ.clear()
    os.environ.update(environment)
    tempfile.tempdir = None  # found again from the environment (TMPDIR), as at a start
    _read_time_zone()  # TZ, as at a start
    sys.stdin = io.StringIO(stdin or "")
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved_environment)
        tempfile.tempdir = saved_tempdir
        _read_time_zone()
        sys.stdin = saved_stdin
        for logger, handlers, level, propagate in saved_loggers:
            for handler in logger.handlers:
                if handler not in handlers:
                    logger.removeHandler(handler)
                    handler.close()
            logger.setLevel(level)
            logger.propagate = propagate
        if saved_database is not None:
            settings_db.database_proxy.initialize(saved_database)
        collector.manage_during_runs(False)
        gc.enable()


def run_in_process(argv: list[str], environment: dict[str, str], stdin: str | None) -> Result:
    out, err = io.StringIO(), io.StringIO()
    with _process_state(environment, stdin), redirect_stdout(out), redirect_stderr(err):
        try:
            code = command_line.main(argv)
        except SystemExit as exit_:  # argparse: --help, and usage errors
            code = exit_.code if isinstance(exit_.code, int) else int(exit_.code is not None)
    return Result(code, out.getvalue(), err.getvalue())


@pytest.fixture
def cli(cli_env: dict[str, str]) -> CLI:
    """``cli("site", "list", stdin="...", env={...})`` runs the command line, in this process."""

    def run(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> Result:
        return run_in_process(list(args), {**cli_env, **(env or {})}, stdin)

    return run


@pytest.fixture
def cli_process(cli_env: dict[str, str]) -> CLI:
    """``cli_process(...)`` as ``cli``, but ``python -m ictray`` in a new process."""

    def run(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> Result:
        completed = subprocess.run(
            [sys.executable, "-m", "ictray", *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            env={**cli_env, **(env or {})},
        )
        return Result(completed.returncode, completed.stdout, completed.stderr)

    return run


@pytest.fixture
def add_simulator_site(cli: CLI, simulator) -> Callable[..., None]:
    """``add_simulator_site()`` runs ``ictray site add sim`` for the test's simulator, its
    client secret (``secret``: another one) passed in an environment variable, as a script
    would."""

    def add(secret: str | None = None) -> None:
        added = cli(
            "site",
            "add",
            "sim",
            "--host",
            simulator.address,
            "--client-id",
            simulator.client_id,
            "--client-secret-env",
            "SIM_SECRET",
            "--ca-bundle",
            str(simulator.ca_bundle),
            env={"SIM_SECRET": simulator.client_secret if secret is None else secret},
        )
        assert added.code == 0, added.err

    return add
