"""A verification as people read it: plain text for the terminal, one HTML page for an auditor."""

from __future__ import annotations

from html import escape

from ictray import __version__
from ictray.datatypes import DataType
from ictray.operations.display import local_minute
from ictray.operations.verify import (
    DAMAGED,
    EXPIRED_ON_APPLIANCE,
    EXTRA,
    MISSING,
    PROBLEMS,
    TWICE,
    PairCheck,
    VerifyReport,
)

KIND_WORDS = {
    MISSING: "missing",
    DAMAGED: "damaged",
    TWICE: "stored twice",
    EXTRA: "extra",
    EXPIRED_ON_APPLIANCE: "expired on the appliance",
}


def headline(pair: PairCheck) -> str:
    """One line per site and destination: whether all is there, and what is not."""
    where = f"site {pair.site!r} -> destination {pair.destination!r}"
    if pair.error:
        return f"{where}: not checked: {pair.error}"
    counts = [
        f"{pair.count(kind)} {KIND_WORDS[kind]}"
        for kind in (*PROBLEMS, EXTRA, EXPIRED_ON_APPLIANCE)
        if pair.count(kind)
    ]
    held = ", ".join(f"{n} {t.label.lower()}" for t, n in pair.checked.items())
    state = "complete" if pair.ok else "INCOMPLETE"
    details = "; ".join(counts) if counts else "nothing missing or damaged"
    return f"{where}: {state}: {details} (of {held or 'nothing checked'})"


def _window(pair: PairCheck) -> str:
    if pair.since is None or pair.until is None:
        return ""
    return f"from {local_minute(pair.since)} to {local_minute(pair.until)}"


def _label(data_type: DataType) -> str:
    return data_type.label.lower()


def to_text(report: VerifyReport) -> str:
    lines = [f"checked {local_minute(report.checked_at)}"]
    for pair in report.pairs:
        lines.append(headline(pair))
        if window := _window(pair):
            lines.append(f"  appliance data {window}")
        if pair.repaired:
            lines.append(f"  fetched again: {pair.repaired} item(s)")
        for finding in pair.findings:
            where = f" {finding.location}" if finding.location else ""
            lines.append(
                f"  {KIND_WORDS[finding.kind]}: {_label(finding.data_type)} {finding.key}{where}"
                f" — {finding.detail}"
            )
        for reason in pair.not_checked:
            lines.append(f"  not checked: {reason}")
    if not report.pairs:
        lines.append("nothing to check: no schedule copies a site to a destination")
    lines.append("all complete" if report.ok else "the archive is not complete (see above)")
    return "\n".join(lines)


_STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em; color: #1b1b1b; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
.ok { color: #146c2e; } .bad { color: #a4161a; }
table { border-collapse: collapse; margin: .6em 0; }
th, td { border: 1px solid #c8c8c8; padding: .25em .6em; text-align: left; vertical-align: top; }
th { background: #f0f0f0; } td.key { font-family: monospace; }
.muted { color: #5a5a5a; }
"""


def to_html(report: VerifyReport) -> str:
    """A self-contained page (no scripts, no outside files) an auditor can open anywhere."""
    verdict = "complete" if report.ok else "not complete"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>ictray verification {escape(local_minute(report.checked_at))}</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>Archive verification</h1>",
        f"<p>Checked {escape(local_minute(report.checked_at))} by ictray {escape(__version__)}: "
        f'<strong class="{"ok" if report.ok else "bad"}" id="verdict">the archive is '
        f"{verdict}</strong>.</p>",
    ]
    for pair in report.pairs:
        parts.append(
            f'<section class="pair" data-ok="{str(pair.ok).lower()}">'
            f"<h2>Site {escape(pair.site)} → destination {escape(pair.destination)}</h2>"
        )
        parts.append(f'<p class="{"ok" if pair.ok else "bad"}">{escape(headline(pair))}</p>')
        if window := _window(pair):
            parts.append(f'<p class="muted">Appliance data {escape(window)}.</p>')
        if pair.repaired:
            parts.append(f"<p>Fetched again: {pair.repaired} item(s).</p>")
        if pair.checked:
            parts.append("<table><tr><th>Data type</th><th>On the appliance</th></tr>")
            for data_type, count in pair.checked.items():
                parts.append(f"<tr><td>{escape(data_type.label)}</td><td>{count}</td></tr>")
            parts.append("</table>")
        if pair.findings:
            parts.append(
                "<table><tr><th>Finding</th><th>Data type</th><th>Item</th><th>Where</th>"
                "<th>Why</th></tr>"
            )
            for finding in pair.findings:
                parts.append(
                    f'<tr class="finding {escape(finding.kind)}">'
                    f"<td>{escape(KIND_WORDS[finding.kind])}</td>"
                    f"<td>{escape(finding.data_type.label)}</td>"
                    f'<td class="key">{escape(finding.key)}</td>'
                    f"<td>{escape(finding.location)}</td><td>{escape(finding.detail)}</td></tr>"
                )
            parts.append("</table>")
        for reason in pair.not_checked:
            parts.append(f'<p class="muted">Not checked: {escape(reason)}</p>')
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts)
