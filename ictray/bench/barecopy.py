"""The bare first copy the ``run-now`` figures are compared with, run as a process of its own.

``python -m ictray.bench.barecopy SPEC`` asks the simulator for a token, then for every session
since ``since`` in one ``SupportSession`` request (``requests``, ``stream=True``, a new
connection per call as the API asks), and stores them into SQLite with ``reference.py``
(iterparse + executemany). It has none of ictray's windows, bookkeeping, retries or checks:
the floor a copy can reach on this machine, not a program to use. It prints one JSON line:
sessions and rows stored, and the CPU seconds its copy took inside the process (its start-up
and imports not counted).

It imports only the standard library, ``requests`` and ``reference.py`` (whose table names
bring in the ``ictray`` package, a few hundredths of a second).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import requests

from ictray.bench import reference


def copy(spec: dict[str, Any]) -> dict[str, Any]:
    """Copy the sessions since ``spec["since"]`` into ``spec["database"]``."""
    started = time.process_time()
    base = f"https://{spec['host']}"
    verify: str | bool = spec.get("ca_bundle") or True
    headers = {"Connection": "close"}
    with requests.Session() as http:
        answer = http.post(
            f"{base}/oauth2/token",
            data={"grant_type": "client_credentials"},
            auth=(spec["client_id"], spec["client_secret"]),
            headers=headers,
            verify=verify,
            timeout=60,
        )
        answer.raise_for_status()
        headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
        params = {
            "generate_report": "SupportSession",
            "start_time": str(spec["since"]),
            "duration": "0",
        }
        with http.get(
            f"{base}/api/reporting",
            params=params,
            headers=headers,
            verify=verify,
            stream=True,
            timeout=60,
        ) as report:
            report.raise_for_status()
            report.raw.decode_content = True
            sessions, rows = reference.ingest_stream(
                report.raw, Path(spec["database"]), spec["host"]
            )
    return {"sessions": sessions, "rows": rows, "cpu": time.process_time() - started}


def main(argv: list[str]) -> int:
    spec = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    print(json.dumps(copy(spec)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
