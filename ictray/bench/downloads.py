"""Recording downloads: MB/s of many recordings, several at a time, against a bare copy.

The simulator (its own process) serves ``recordings`` session recordings of ``size`` bytes.
The bare reference fetches each with ``requests`` (``stream=True``, 64 KiB chunks) into a
file, with the same concurrency and, as the API asks, a new connection per call. ictray runs a
real transfer of session recordings into a File System destination: the engine's download
pool, the appliance client, atomic and durable file writes (``fsync``), and the bookkeeping of
every recording in its settings file. Only the download phase is timed (from the moment the run
says how many it will download); MB are 10^6 bytes.
"""

from __future__ import annotations

import calendar
import dataclasses
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import psutil
import requests

from ictray.appliance import contract, reports
from ictray.appliance.client import ApplianceClient
from ictray.bench import wiring
from ictray.bench.processes import (
    BenchError,
    SimulatorInfo,
    SimulatorProcess,
    peak_rss,
    run_worker,
)
from ictray.datatypes import DataType
from ictray.settings import open_settings
from ictray.settings.models import Transfer
from ictray.transfer.job import run_transfer
from ictray.transfer.options import TransferOptions
from ictray.transfer.progress import Progress

CHUNK = 64 * 1024
#: share of the simulator's sessions that have a session recording (about three in five)
RECORDED_SHARE = 0.6


@dataclass
class Copied:
    """What one download worker did."""

    recordings: int
    bytes: int
    seconds: float
    peak_bytes: int
    growth_bytes: int  # peak memory above what the process held when the downloads began

    @property
    def megabytes_per_second(self) -> float:
        return self.bytes / self.seconds / 1e6


@dataclass
class DownloadRun:
    concurrency: int
    size: int
    reference: Copied
    ictray: Copied


def measure(
    folder: Path, recordings: int, size: int, concurrency: int, say: Callable[[str], None]
) -> DownloadRun:
    """Copy about ``recordings`` recordings of ``size`` bytes the bare way, then ictray's way."""
    work = folder / "downloads"
    work.mkdir()
    sessions = max(1, round(recordings / RECORDED_SHARE))
    with SimulatorProcess(work, sessions=sessions, days=1, recording_size=size) as sim:
        start_from = wiring.days_ago(1 + 1 / 24)
        lsids = recorded_sessions(sim, start_from)
        say(f"{len(lsids)} recordings of {size // 1024} KiB: bare streaming copy")
        bare = run_worker(
            {
                "task": "downloads-bare",
                "simulator": dataclasses.asdict(sim),
                "lsids": lsids,
                "concurrency": concurrency,
                "folder": str(work / "bare"),
            },
            work,
            "bare",
        )
        settings = work / "settings.db"
        wiring.write_settings(
            settings,
            sim,
            plugin="filesystem",
            options={"directory": str(work / "files")},
            data_types=(DataType.SESSION_RECORDINGS,),
            start_from=start_from,
        )
        say(f"{len(lsids)} recordings of {size // 1024} KiB: ictray transfer")
        own = run_worker(
            {"task": "downloads-transfer", "settings": str(settings), "concurrency": concurrency},
            work,
            "ictray",
        )
    return DownloadRun(concurrency, size, Copied(**bare), Copied(**own))


def recorded_sessions(simulator: SimulatorInfo, start_from: datetime) -> list[str]:
    """LSIDs of the window's sessions that have a session recording (the listing report)."""
    since = calendar.timegm(start_from.timetuple()) - TransferOptions().overlap
    client = ApplianceClient(
        simulator.host,
        simulator.client_id,
        simulator.client_secret,
        ca_bundle=simulator.ca_bundle,
        site_name="simulator",
    )
    with client:
        window = reports.TimeWindow(since=since)
        return [
            row.lsid for row in reports.iter_session_summaries(client, window) if row.has_recording
        ]


# -- worker tasks ---------------------------------------------------------------------------------


def bare_task(spec: dict[str, Any]) -> dict[str, Any]:
    """``requests`` with ``stream=True`` into files: the floor a copy of these bytes can reach."""
    simulator = SimulatorInfo(**spec["simulator"])
    folder = Path(spec["folder"])
    folder.mkdir()
    base = f"https://{simulator.host}"
    answer = requests.post(
        base + contract.TOKEN_PATH,
        data={contract.GRANT_TYPE: contract.CLIENT_CREDENTIALS},
        auth=(simulator.client_id, simulator.client_secret),
        verify=simulator.ca_bundle,
        timeout=60,
    )
    answer.raise_for_status()
    headers = {
        "Authorization": f"Bearer {answer.json()[contract.ACCESS_TOKEN]}",
        "Connection": "close",
    }

    def fetch(lsid: str) -> int:
        params = {contract.GENERATE_REPORT: contract.SUPPORT_SESSION_RECORDING, contract.LSID: lsid}
        written = 0
        with (
            requests.get(
                base + contract.REPORTING_PATH,
                params=params,
                headers=headers,
                stream=True,
                verify=simulator.ca_bundle,
                timeout=60,
            ) as response,
            (folder / f"{lsid}.flv").open("wb") as out,
        ):
            response.raise_for_status()
            for chunk in response.iter_content(CHUNK):
                written += out.write(chunk)
        return written

    before = psutil.Process().memory_info().rss
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=spec["concurrency"]) as pool:
        sizes = list(pool.map(fetch, spec["lsids"]))
    seconds = time.perf_counter() - started
    peak = peak_rss()
    return {
        "recordings": len(sizes),
        "bytes": sum(sizes),
        "seconds": seconds,
        "peak_bytes": peak,
        "growth_bytes": max(0, peak - before),
    }


def transfer_task(spec: dict[str, Any]) -> dict[str, Any]:
    """A real run of a session-recordings transfer; the download phase is timed."""
    marks: dict[str, float] = {}

    def progress(item: Progress) -> None:
        if item.data_type is DataType.SESSION_RECORDINGS and "began" not in marks:
            marks["began"] = time.perf_counter()
            marks["rss"] = psutil.Process().memory_info().rss

    options = TransferOptions(concurrency=spec["concurrency"])
    with open_settings(Path(spec["settings"]), credential_store=None) as settings:
        result = run_transfer(settings, Transfer.get(), options=options, progress=progress)
    ended = time.perf_counter()
    if not result.ok or "began" not in marks:
        raise BenchError(f"the transfer did not complete: {'; '.join(result.errors[:3])}")
    counts = result.count(DataType.SESSION_RECORDINGS)
    peak = peak_rss()
    return {
        "recordings": counts.stored,
        "bytes": counts.bytes,
        "seconds": ended - marks["began"],
        "peak_bytes": peak,
        "growth_bytes": max(0, peak - int(marks["rss"])),
    }
