"""Verify: is everything the appliance still keeps in the archive, unharmed?

The main window's *Verify* opens this window, which checks at once, in the background
(``operations.verify``, as ``ictray verify`` does): per site and destination the report's
headline, then each item missing, damaged, stored twice or extra, and what could not be
checked. *Save Report…* writes the self-contained HTML page an auditor can open; *Repair…*
asks first, then fetches what is missing while the appliance still has it and checks again.
"""

from __future__ import annotations

import os
import tempfile
import tkinter as tk
from datetime import datetime
from pathlib import Path
from tkinter import filedialog, ttk
from tkinter import font as tkfont

from ictray.dialogs import messages
from ictray.dialogs.context import VERIFY, Controller
from ictray.dialogs.form import HINT_COLOUR
from ictray.dialogs.widgets import (
    BUSY,
    ERROR_COLOUR,
    OK_COLOUR,
    PAD,
    Prompt,
    Window,
    reserved_label,
    scrolled,
    tooltip,
)
from ictray.dialogs.worker import run_in_background
from ictray.operations import verify, verify_report
from ictray.operations.display import local_minute
from ictray.operations.verify import PROBLEMS, VerifyReport

CHECK = "Check Again"
REPAIR = "Repair…"
SAVE = "Save Report…"
CLOSE = "Close"
TEXT_LINES = 16
TEXT_WIDTH = 110  # characters


class VerifyWindow(Window):
    def __init__(self, master: tk.Misc, controller: Controller) -> None:
        super().__init__(master, "Verify", name=VERIFY, state=controller.window_state)
        self.controller = controller
        self.settings = controller.settings
        self.report: VerifyReport | None = None
        self.running = False
        self.prompt: Prompt | None = None
        ttk.Label(
            self.body,
            text="What the appliance still keeps (over the days each site keeps it) compared "
            "with what each destination holds, read from the destination itself.",
            foreground=HINT_COLOUR,
            wraplength=860,
            justify=tk.LEFT,
        ).pack(fill=tk.X)
        bold = tkfont.nametofont("TkDefaultFont").copy()
        bold.configure(weight="bold")
        self._bold = bold  # kept: Tk forgets a font Python no longer holds
        self.verdict = reserved_label(self.body, 1, pady=(PAD, 0))
        self.verdict.configure(font=bold)
        self.buttons = self.button_row(
            self.body,
            [
                (CHECK, self.check),
                (REPAIR, self.repair),
                (SAVE, self.save_report),
                (CLOSE, self.close),
            ],
            default=CHECK,
        )
        tooltip(self.buttons[CHECK], "Check every site and destination again.")
        tooltip(
            self.buttons[REPAIR],
            "Fetch what is missing while the appliance still has it, then check again. What is "
            "damaged is reported, never replaced.",
        )
        tooltip(
            self.buttons[SAVE],
            "Save this report as a web page (one file, no scripts) for an auditor or your records.",
        )
        frame, self.text = scrolled(
            self.body,
            tk.Text,
            height=TEXT_LINES,
            width=TEXT_WIDTH,
            wrap=tk.WORD,
            font="TkDefaultFont",
            relief=tk.FLAT,
            padx=PAD // 2,
            pady=PAD // 2,
        )
        frame.pack(fill=tk.BOTH, expand=True, pady=(PAD, 0))
        self.text.tag_configure("ok", foreground=OK_COLOUR, font=bold)
        self.text.tag_configure("bad", foreground=ERROR_COLOUR, font=bold)
        self.text.tag_configure("muted", foreground=HINT_COLOUR)
        self.text.tag_configure("item", lmargin1=3 * PAD, lmargin2=5 * PAD)
        self.text.tag_configure("stale", foreground=HINT_COLOUR)  # made last: it wins
        self.text.configure(state=tk.DISABLED)
        self._enable()
        self.settle()
        self.check()

    # -- actions ----------------------------------------------------------------------------

    def check(self, *, repair: bool = False) -> None:
        """*Check Again* (and the first check, as the window opens); with ``repair``, fetch
        what is missing first."""
        if self.running:
            return
        self.running = True
        self._enable()
        self._say("")
        self.text.tag_add("stale", "1.0", tk.END)  # the last result, until the new one
        self.show_message(
            "Fetching what is missing…" if repair else "Checking the archive…", kind=BUSY
        )
        options = self.controller.client_options

        def progress(text: str) -> None:  # a worker thread: Tk only through the queue
            self.controller.ui.post(self._progress, text)

        def work() -> VerifyReport:
            return verify.verify(
                self.settings, repair=repair, client_options=options, progress=progress
            )

        run_in_background(self.controller.ui, work, self._checked, "verify")

    def repair(self) -> None:
        """*Repair…*: asked first, since it copies from the appliance again."""
        missing = self._to_fetch()
        if self.running or not missing:
            return

        def answered(answer: str | None) -> None:
            self.prompt = None
            if answer == "Repair" and self.winfo_exists():
                self.check(repair=True)

        self.prompt = Prompt(
            self,
            "Repair the archive",
            f"Fetch the {missing} missing item(s) again from the appliance while it still has "
            "them, then check again? What is damaged is reported, never replaced.",
            ["Repair", "Cancel"],
            answered,
        )

    def save_report(self) -> None:
        """*Save Report…*: the report as one HTML page, where the person chooses."""
        if self.report is None:
            return
        chosen = filedialog.asksaveasfilename(
            parent=self,
            title="Save the verification report",
            defaultextension=".html",
            filetypes=[("Web page", "*.html"), ("All files", "*")],
            initialfile=f"ictray-verification-{datetime.now():%Y-%m-%d}.html",
        )
        if chosen:
            self.write_report(Path(chosen))

    def write_report(self, path: Path) -> bool:
        """Write the page (whole or not at all); say where, or why it could not be."""
        if self.report is None:
            return False
        page = verify_report.to_html(self.report)
        try:
            handle, temp = tempfile.mkstemp(prefix=".ictray-report-", dir=path.parent)
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as out:
                    out.write(page)
                os.replace(temp, path)
            except OSError:
                Path(temp).unlink(missing_ok=True)
                raise
        except OSError as error:
            reason = error.strerror or str(error)
            self.show_message(
                f"The report could not be saved as {path}: {reason.lower()}. Choose another "
                "folder or name.",
                error=True,
            )
            return False
        self.show_message(f"The report was saved as {path}.")
        return True

    # -- results ----------------------------------------------------------------------------

    def _progress(self, text: str) -> None:
        if self.winfo_exists() and self.running:
            self.show_message(f"{text[:1].upper()}{text[1:]}…", kind=BUSY)

    def _checked(self, report: VerifyReport | None, error: Exception | None) -> None:
        if not self.winfo_exists():
            return
        self.running = False
        if error is not None or report is None:
            self._say("The check did not finish.", ERROR_COLOUR)
            self.show_message(messages.describe(error or RuntimeError("no report")), error=True)
        else:
            self.report = report
            self._show(report)
            self.show_message(f"Checked {local_minute(report.checked_at)}.", kind="")
        self._enable()

    def _show(self, report: VerifyReport) -> None:
        problems = sum(pair.count(kind) for pair in report.pairs for kind in PROBLEMS)
        errors = sum(1 for pair in report.pairs if pair.error)
        repaired = sum(pair.repaired for pair in report.pairs)
        fetched = f" {repaired} item(s) were fetched again." if repaired else ""
        unchecked = f"{errors} site and destination pair(s) could not be checked"
        if not report.pairs:
            self._say("Nothing to check: no schedule copies a site to a destination yet.")
        elif report.ok:
            self._say(f"The archive is complete.{fetched}", OK_COLOUR)
        elif problems:
            also = f"; {unchecked}" if errors else ""
            self._say(
                f"The archive is not complete: {problems} item(s) missing or damaged{also}."
                f"{fetched}",
                ERROR_COLOUR,
            )
        else:
            self._say(f"Not all checked: {unchecked} (see below).{fetched}", ERROR_COLOUR)
        self.text.configure(state=tk.NORMAL)
        self.text.delete("1.0", tk.END)
        for pair in report.pairs:
            self.text.insert(
                tk.END,
                messages.plain(verify_report.headline(pair)) + "\n",
                "ok" if pair.ok else "bad",
            )
            for finding in pair.findings:
                where = f" {finding.location}" if finding.location else ""
                line = (
                    f"{verify_report.KIND_WORDS[finding.kind]}: {finding.data_type.label.lower()} "
                    f"{finding.key}{where} — {messages.plain(finding.detail)}"
                )
                self.text.insert(tk.END, line + "\n", "item")
            for reason in pair.not_checked:
                self.text.insert(tk.END, f"not checked: {reason}\n", ("item", "muted"))
            if pair.error:
                self.text.insert(
                    tk.END,
                    "Test the site in Site Configuration and the destination in Plugin "
                    "Configuration, then Check Again.\n",
                    ("item", "muted"),
                )
        self.text.configure(state=tk.DISABLED)

    def _say(self, text: str, colour: str = "") -> None:
        """The verdict, in words (and in colour)."""
        self.verdict.configure(text=text, foreground=colour)

    def _to_fetch(self) -> int:
        """How many missing items a repair would fetch (what the appliance still has)."""
        if self.report is None:
            return 0
        return sum(len(pair.to_fetch) for pair in self.report.pairs)

    def _enable(self) -> None:
        """Buttons that act only when they can: nothing but *Close* while a check runs."""
        for name, usable in (
            (CHECK, not self.running),
            (REPAIR, not self.running and self._to_fetch() > 0),
            (SAVE, not self.running and self.report is not None),
        ):
            self.buttons[name].state(["!disabled" if usable else "disabled"])
