"""How repeated ingest runs become figures: the fastest run's rate, the largest memory."""

from __future__ import annotations

from ictray.bench.firstcopy import FirstCopyRun
from ictray.bench.ingest import IngestRun, Measured, fastest
from ictray.bench.report import first_copy_figures, ingest_figures, spread_notes, startup_figures
from ictray.bench.startup import StartupRun


def _measured(sessions: int, seconds: float, peak_mb: float) -> Measured:
    return Measured(sessions, sessions * 150, seconds, int(peak_mb * 1e6), sessions * 13_000)


def test_the_fastest_run_counts_with_the_most_memory_any_run_held() -> None:
    runs = [_measured(5000, 8.0, 90), _measured(5000, 5.0, 88), _measured(5000, 6.0, 95)]
    best = fastest(runs)
    assert best.seconds == 5.0
    assert best.peak_bytes == 95_000_000


def _run(sessions: int, repeats: int, reference: float, own: float, peak_mb: float) -> IngestRun:
    return IngestRun(
        sessions,
        sessions * 12_000,
        1.0,
        reference=_measured(sessions, sessions / reference, 78),
        from_file=_measured(sessions, sessions / own, peak_mb),
        end_to_end=_measured(sessions, sessions / own, peak_mb),
        repeats=repeats,
        rates={"reference": [reference * 0.7, reference], "end-to-end": [own, own * 0.6]},
    )


def test_rates_come_from_the_repeated_small_run_and_memory_from_both() -> None:
    small = _run(5000, 3, reference=600, own=1200, peak_mb=88)
    big = _run(50_000, 1, reference=300, own=200, peak_mb=120)
    every = ingest_figures(big, small, "SQLite")
    figures = {figure.name.split(" (")[0]: figure for figure in every}
    rate = figures["ingest end to end into SQLite"]
    assert (round(rate.value), round(rate.reference)) == (1200, 600)
    assert rate.met is True
    memory = figures["peak memory end to end, 50,000 vs 5,000 sessions"]
    assert (memory.value, memory.reference) == (120, 88)
    assert memory.met is False  # 120 MB is more than 1.2 x 88 MB
    assert "(5,000 sessions, fastest of 3)" in every[0].name


def test_the_spread_of_repeated_runs_is_reported() -> None:
    (note,) = spread_notes(_run(5000, 3, reference=600, own=1000, peak_mb=88))
    assert note == (
        "sessions/s over 3 runs at 5,000 sessions: reference 420 to 600, end-to-end 600 to 1,000"
    )
    assert spread_notes(_run(5000, 1, reference=600, own=1000, peak_mb=88)) == []


def _first_copy(ictray: list[float], bare: list[float], service: float) -> FirstCopyRun:
    return FirstCopyRun(
        sessions=5000,
        days=60,
        repeats=len(ictray),
        ictray_seconds=ictray,
        bare_seconds=bare,
        ictray_sessions=5000,
        bare_sessions=5000,
        noop_process_cpu=0.5,
        noop_process_seconds=0.6,
        bare_noop_process_cpu=0.2,
        noop_service_cpu=service,
        noop_service_warm_cpu=service / 2,
        bare_noop_cpu=0.02,
    )


def test_the_first_copy_compares_the_fastest_runs_of_each_side() -> None:
    copy, service, process = first_copy_figures(_first_copy([9.0, 7.0, 8.0], [6.0, 5.0, 7.5], 0.1))
    assert (copy.value, copy.reference) == (5000 / 7.0, 5000 / 5.0)
    assert copy.met is False  # 5.0 / 7.0 = 0.71x, under 0.8x
    assert "fastest of 3" in copy.name and "60 days" in copy.name
    assert (service.value, service.reference, service.met) == (100, 20, True)
    assert service.unit == "CPU ms"
    assert "next one: 50 ms" in service.note  # the warm run is said beside the first one
    assert (process.value, process.reference, process.met) == (500, 200, None)
    (copy, service, _) = first_copy_figures(_first_copy([6.0], [5.0], 0.31))
    assert copy.met is True and "fastest" not in copy.name
    assert service.met is False


def test_start_up_is_the_fastest_of_each_and_nothing_when_frozen() -> None:
    (figure,) = startup_figures(StartupRun(3, [0.5, 0.3, 0.4], [0.12, 0.1, 0.2]))
    assert (figure.value, figure.reference) == (300, 100)
    assert figure.met is False  # 3x, over 2x
    (figure,) = startup_figures(StartupRun(1, [0.2], [0.1]))
    assert figure.met is True
    assert startup_figures(None) == []
