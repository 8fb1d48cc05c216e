"""A simulated appliance site: deterministic session data generated on demand, with a clock.

Nothing is stored per session. Session ``i`` is a pure function of ``(seed, i)``; its start time
lies in the ``i``-th slot of a fixed grid, so the sessions of any time window are found by
arithmetic, and 50,000 sessions cost no more memory than 50. The site answers as the appliance
would at its clock ``now``: sessions that started later do not exist yet, and a session whose end
lies after ``now`` is in progress (no end time, no transcript or recordings yet, only the events
so far). Moving the clock closes sessions and lets new ones appear at the same rate.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone

from ictray.appliance import contract
from ictray.appliance.model import (
    ApiInfo,
    CustomAttribute,
    Customer,
    CustomerInfo,
    Event,
    FileInfo,
    Party,
    Presentation,
    RecordingRef,
    Representative,
    Session,
    SessionSummary,
    SystemInfoCategory,
    Team,
    XmlNode,
)
from ictray.appliance.xmlwrite import iso_time, needs_encoding
from ictray.simulator import content

# Recording kinds are the names of the reports that serve them.
SESSION_RECORDING = contract.SUPPORT_SESSION_RECORDING
SHOW_MY_SCREEN_RECORDING = contract.SHOW_MY_SCREEN_RECORDING
COMMAND_SHELL_RECORDING = contract.COMMAND_SHELL_RECORDING
PRESENTATION_RECORDING = contract.PRESENTATION_SESSION_RECORDING
RECORDING_KINDS = (
    SESSION_RECORDING,
    SHOW_MY_SCREEN_RECORDING,
    COMMAND_SHELL_RECORDING,
    PRESENTATION_RECORDING,
)
API_VERSION = "1.19.0"
MAX_DURATION = 5 * 3600  # no session lasts longer: bounds the search for an end-time window
_DAY = 86400
_MASK32 = 0xFFFFFFFF
_LSID_MULT = 0x9E3779B1  # odd, so invertible modulo 2**32
_LSID_MULT_INV = pow(_LSID_MULT, -1, 1 << 32)
_BACKUP_SIZE = 16 * 1024


def _hash(*parts: object) -> int:
    text = "\x1f".join(str(part) for part in parts).encode("utf-8")
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


def _rng(*parts: object) -> random.Random:
    return random.Random(_hash(*parts))


def _hms(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


@dataclass
class _Grid:
    """Start times for an unbounded sequence of items, ``count`` per ``span`` seconds.

    Item ``i`` starts inside ``[t0 + i*span//count, t0 + (i+1)*span//count)``, so start times
    never decrease with the index and the index of a time is a division away.
    """

    t0: int
    span: int
    count: int
    salt: str

    def start(self, index: int) -> int:
        low = self.t0 + index * self.span // self.count
        width = self.t0 + (index + 1) * self.span // self.count - low
        return low + (_hash(self.salt, "jitter", index) % width if width > 0 else 0)

    def first_at_or_after(self, moment: int) -> int:
        """The smallest index whose start is ``>= moment``."""
        if self.count == 0:
            return 0
        if moment <= self.t0:
            return 0
        index = max(0, (moment - self.t0) * self.count // self.span - 1)
        while self.start(index) < moment:
            index += 1
        while index > 0 and self.start(index - 1) >= moment:
            index -= 1
        return index


@dataclass
class _Meta:
    """What a listing needs, drawn cheaply without building the whole session."""

    index: int
    lsid: str
    start: int
    end: int
    external_key: str | None
    has_recording: bool
    shells: int
    screens: int
    reps: int


@dataclass
class _RepPlan:
    rep: Representative
    join: int = 0
    leave: int | None = None
    owner_since: int | None = None


@dataclass
class _Plan:
    """A session as it will be once closed, plus the timeline needed to show it earlier."""

    session: Session
    reps: list[_RepPlan]
    owner_changes: list[tuple[int, _RepPlan]]
    team_changes: list[tuple[int, Team]]


class SimulatedSite:
    """The data of one appliance site, generated lazily and deterministically from ``seed``.

    ``sessions`` sessions are spread over the ``days`` before the initial clock ``start``
    (default: the current time); after it, new sessions keep coming at the same rate.
    ``presentations`` defaults to a tenth of ``sessions``. ``expired_fraction`` of recordings
    (a fixed, seeded subset) report as expired. Recordings are ``recording_size`` bytes.
    """

    def __init__(
        self,
        sessions: int = 200,
        days: int = 7,
        seed: int = 1,
        host: str = "127.0.0.1",
        start: int | None = None,
        *,
        presentations: int | None = None,
        recording_size: int = 64 * 1024,
        expired_fraction: float = 0.0,
    ) -> None:
        if sessions < 0 or (presentations is not None and presentations < 0):
            raise ValueError("sessions and presentations must be 0 or more")
        if days < 1:
            raise ValueError("days must be at least 1")
        if recording_size < content.MIN_MEDIA_SIZE:
            raise ValueError(f"recording_size must be at least {content.MIN_MEDIA_SIZE} bytes")
        self.seed = seed
        self.host = host
        self.recording_size = recording_size
        self.initial = int(time.time()) if start is None else int(start)
        self.now = self.initial
        t0 = self.initial - days * _DAY
        pres_count = sessions // 10 if presentations is None else presentations
        self._sessions = _Grid(t0, days * _DAY, sessions, f"{seed}/session")
        self._presentations = _Grid(t0, days * _DAY, pres_count, f"{seed}/presentation")
        self.expired_fraction = 0.0
        self.expire_recordings(expired_fraction)
        # Some appliance versions send file_move_count/file_delete_count, some do not.
        self.move_delete_counts = seed % 2 == 1

    # -- clock --------------------------------------------------------------------------------

    def advance(self, seconds: int) -> None:
        """Move the appliance clock forward: sessions close, new ones appear."""
        if seconds < 0:
            raise ValueError("the appliance clock only moves forward")
        self.now += int(seconds)

    def api_info(self) -> ApiInfo:
        return ApiInfo(api_version=API_VERSION, timestamp=self.now)

    # -- support sessions ---------------------------------------------------------------------

    def iter_sessions(
        self,
        *,
        start_from: int | None = None,
        start_to: int | None = None,
        end_from: int | None = None,
        end_to: int | None = None,
        lsids: Iterable[str] | None = None,
    ) -> Iterator[Session]:
        """Sessions as the appliance shows them now, ordered by start time.

        Windows are half-open ``[from, to)``. ``start_*`` includes sessions in progress;
        ``end_*`` only closed sessions whose end lies in the window.
        """
        for meta in self._select(
            self._sessions, "session", start_from, start_to, end_from, end_to, lsids
        ):
            yield self._session_view(meta)

    def iter_summaries(
        self,
        *,
        start_from: int | None = None,
        start_to: int | None = None,
        end_from: int | None = None,
        end_to: int | None = None,
        lsids: Iterable[str] | None = None,
    ) -> Iterator[SessionSummary]:
        """The ``SupportSessionListing`` rows for the same filters as ``iter_sessions``."""
        for meta in self._select(
            self._sessions, "session", start_from, start_to, end_from, end_to, lsids
        ):
            yield self._summary(meta)

    def session(self, lsid: str) -> Session | None:
        meta = self._lookup(self._sessions, "session", lsid)
        return None if meta is None else self._session_view(meta)

    # -- presentations ------------------------------------------------------------------------

    def iter_presentations(
        self,
        *,
        start_from: int | None = None,
        start_to: int | None = None,
        end_from: int | None = None,
        end_to: int | None = None,
        lsids: Iterable[str] | None = None,
    ) -> Iterator[Presentation]:
        """Presentations as the appliance shows them now (same filters as ``iter_sessions``)."""
        for meta in self._select(
            self._presentations, "presentation", start_from, start_to, end_from, end_to, lsids
        ):
            yield self._presentation_view(meta)

    def iter_presentation_summaries(
        self,
        *,
        start_from: int | None = None,
        start_to: int | None = None,
        end_from: int | None = None,
        end_to: int | None = None,
        lsids: Iterable[str] | None = None,
    ) -> Iterator[SessionSummary]:
        for meta in self._select(
            self._presentations, "presentation", start_from, start_to, end_from, end_to, lsids
        ):
            yield self._summary(meta)

    def presentation(self, lsid: str) -> Presentation | None:
        meta = self._lookup(self._presentations, "presentation", lsid)
        return None if meta is None else self._presentation_view(meta)

    # -- recordings ---------------------------------------------------------------------------

    def recording(self, kind: str, lsid: str, instance: int | None = None) -> bytes | None:
        """The bytes of a recording the appliance lists now, else ``None``.

        ``kind`` is the report name (``SupportSessionRecording``...). Expiry is not applied
        here: ask ``is_recording_expired`` first, as the appliance answers with an error then.
        """
        if not self._recording_exists(kind, lsid, instance):
            return None
        seed = _hash(self.seed, "media", kind, lsid, instance)
        if self.recording_content_type(kind, lsid, instance) == content.MP4:
            return content.mp4_bytes(seed, self.recording_size)
        return content.flv_bytes(seed, self.recording_size)

    def session_recording(self, lsid: str) -> bytes | None:
        return self.recording(SESSION_RECORDING, lsid)

    def show_my_screen_recording(self, lsid: str, instance: int) -> bytes | None:
        return self.recording(SHOW_MY_SCREEN_RECORDING, lsid, instance)

    def command_shell_recording(self, lsid: str, instance: int) -> bytes | None:
        return self.recording(COMMAND_SHELL_RECORDING, lsid, instance)

    def presentation_recording(self, lsid: str) -> bytes | None:
        return self.recording(PRESENTATION_RECORDING, lsid)

    def recording_content_type(self, kind: str, lsid: str, instance: int | None = None) -> str:
        """``video/mp4`` for a seeded quarter of recordings (newer sites), else ``video/x-flv``."""
        _check_kind(kind)
        return (
            content.MP4
            if _hash(self.seed, "format", kind, lsid, instance) % 4 == 0
            else (content.FLV)
        )

    def expire_recordings(self, fraction: float) -> None:
        """Make a seeded ``fraction`` of all recordings expired (0 = none, 1 = all)."""
        if not 0.0 <= fraction <= 1.0:
            raise ValueError("expired fraction must be between 0 and 1")
        self.expired_fraction = fraction

    def is_recording_expired(self, kind: str, lsid: str, instance: int | None = None) -> bool:
        _check_kind(kind)
        draw = _hash(self.seed, "expired", kind, lsid, instance) / 2**64
        return draw < self.expired_fraction

    # -- backups ------------------------------------------------------------------------------

    def backup(self, password: str | None = None) -> bytes:
        """Fake ``.nsb`` bytes: a header naming the site and time, then seeded noise."""
        header = (
            f"BOMGAR-NSB-SIMULATED\nsite: {self.host}\ncreated: {iso_time(self.now)}\n"
            f"encrypted: {'yes' if password else 'no'}\n\n"
        )
        return content.backup_bytes(
            _hash(self.seed, "backup", self.now), header, _BACKUP_SIZE, password
        )

    def backup_filename(self) -> str:
        day = datetime.fromtimestamp(self.now, timezone.utc).strftime("%Y-%m-%d")
        return f"{self.host}-{day}.nsb"

    # -- selection ----------------------------------------------------------------------------

    def _select(
        self,
        grid: _Grid,
        salt: str,
        start_from: int | None,
        start_to: int | None,
        end_from: int | None,
        end_to: int | None,
        lsids: Iterable[str] | None,
    ) -> Iterator[_Meta]:
        low = 0
        high = grid.first_at_or_after(self.now + 1)
        if start_from is not None:
            low = max(low, grid.first_at_or_after(start_from))
        if start_to is not None:
            high = min(high, grid.first_at_or_after(start_to))
        if end_from is not None:
            low = max(low, grid.first_at_or_after(end_from - MAX_DURATION))
        if end_to is not None:
            high = min(high, grid.first_at_or_after(end_to))
        if lsids is not None:
            found = (self._index_of(salt, lsid) for lsid in lsids)
            indexes: Iterable[int] = sorted({i for i in found if i is not None and low <= i < high})
        else:
            indexes = range(low, high)
        closed_only = end_from is not None or end_to is not None
        for index in indexes:
            meta = self._meta(grid, salt, index)
            if closed_only and (
                meta.end > self.now
                or (end_from is not None and meta.end < end_from)
                or (end_to is not None and meta.end >= end_to)
            ):
                continue
            yield meta

    def _lookup(self, grid: _Grid, salt: str, lsid: str) -> _Meta | None:
        index = self._index_of(salt, lsid)
        if index is None or index >= grid.first_at_or_after(self.now + 1):
            return None
        return self._meta(grid, salt, index)

    def _lsid(self, salt: str, index: int) -> str:
        prefix = _hash(self.seed, salt, "lsid", index) & ((1 << 64) - 1)
        prefix2 = _hash(self.seed, salt, "lsid2", index) & _MASK32
        mask = _hash(self.seed, salt, "mask") & _MASK32
        tail = ((index ^ mask) * _LSID_MULT) & _MASK32
        return f"{prefix:016x}{prefix2:08x}{tail:08x}"

    def _index_of(self, salt: str, lsid: str) -> int | None:
        if not isinstance(lsid, str) or len(lsid) != 32:
            return None
        try:
            tail = int(lsid[24:], 16)
        except ValueError:
            return None
        mask = _hash(self.seed, salt, "mask") & _MASK32
        index = ((tail * _LSID_MULT_INV) & _MASK32) ^ mask
        return index if self._lsid(salt, index) == lsid.lower() else None

    def _meta(self, grid: _Grid, salt: str, index: int) -> _Meta:
        rng = _rng(self.seed, salt, "meta", index)
        start = grid.start(index)
        roll = rng.random()
        if roll < 0.1:
            duration = rng.randint(3600, MAX_DURATION)
        elif roll < 0.25:
            duration = rng.randint(15, 180)
        else:
            duration = rng.randint(240, 3600)
        key_roll = rng.random()
        if key_roll < 0.45:
            external_key = None
        elif key_roll < 0.8:
            external_key = f"INC{rng.randint(1, 9_999_999):07d}"
        else:
            external_key = rng.choice(content.EXTERNAL_KEYS)
        return _Meta(
            index=index,
            lsid=self._lsid(salt, index),
            start=start,
            end=start + duration,
            external_key=external_key,
            has_recording=rng.random() < 0.6,
            shells=rng.choice((0, 0, 0, 0, 1, 1, 2, 3)),
            screens=rng.choice((0, 0, 0, 0, 0, 0, 1, 2)),
            reps=rng.choice((1, 1, 1, 1, 1, 2, 2, 2, 3, 4)),
        )

    def _summary(self, meta: _Meta) -> SessionSummary:
        has_recording = meta.has_recording and meta.end <= self.now
        attrs = {"lsid": meta.lsid, "has_recording": "1" if has_recording else "0"}
        if meta.external_key is not None:
            attrs["external_key"] = meta.external_key
        return SessionSummary(meta.lsid, has_recording, meta.external_key, attrs)

    def _recording_exists(self, kind: str, lsid: str, instance: int | None) -> bool:
        _check_kind(kind)
        if kind == PRESENTATION_RECORDING:
            meta = self._lookup(self._presentations, "presentation", lsid)
            return meta is not None and meta.end <= self.now and meta.has_recording
        meta = self._lookup(self._sessions, "session", lsid)
        if meta is None or meta.end > self.now:
            return False
        if kind == SESSION_RECORDING:
            return meta.has_recording
        count = meta.shells if kind == COMMAND_SHELL_RECORDING else meta.screens
        return instance is not None and 0 <= instance < count

    # -- building sessions --------------------------------------------------------------------

    def _session_view(self, meta: _Meta) -> Session:
        plan = _SessionBuilder(self, meta).build()
        if meta.end <= self.now:
            return plan.session
        return _in_progress(plan, self.now)

    def _presentation_view(self, meta: _Meta) -> Presentation:
        item = _build_presentation(self, meta)
        if meta.end > self.now:
            item.end_time = None
            item.duration = None
            item.presentation_recording_download_url = None
            item.events = [e for e in item.events if e.timestamp <= self.now]
            joined = {
                e.destination.gsnumber
                for e in item.events
                if e.event_type == "Conference Member Added" and e.destination is not None
            }
            item.attendees = [a for a in item.attendees if a.gsnumber in joined]
            for presenter in item.presenters:
                presenter.seconds_involved = self.now - meta.start
        return item


def _download_url(
    site: SimulatedSite, lsid: str, mode: str, view: bool, instance: int | None = None
) -> str:
    """A transcript or recording URL shaped like the ones real answers carry.

    The chat form copies a public PRA answer; [assumed] the recording forms follow it with
    their own ``dl_action`` (docs/appliance-api.md#recordings).
    """
    token = hashlib.sha1(f"{site.seed}/{lsid}/{mode}".encode()).hexdigest()
    inner = f"l={lsid};h={token};t=sd;m={mode}"
    if instance is not None:
        inner += f";i={instance}"
    escaped = inner.replace("=", "%3D").replace(";", "%3B")  # quote() of hex, = and ;
    url = f"https://{site.host}/session_download?lsid={escaped}&dl_action={mode}"
    if instance is not None:
        url += f"&instance={instance}"
    return url + ("&view=1" if view else "")


def _check_kind(kind: str) -> None:
    if kind not in RECORDING_KINDS:
        known = ", ".join(RECORDING_KINDS)
        raise ValueError(f"unknown recording kind {kind!r}; use one of {known}")


def _rep_party(plan: _RepPlan) -> Party:
    return Party("representative", plan.rep.gsnumber, plan.rep.display_name or "")


def _system() -> Party:
    return Party("system", 0, "System")


class _SessionBuilder:
    """Builds one closed session from its seeded random stream (about 30 events on average).

    Events come first, in order and without times; the times are drawn afterwards, and who
    joined, left and owned the session when is read back from them.
    """

    def __init__(self, site: SimulatedSite, meta: _Meta) -> None:
        self.site = site
        self.meta = meta
        self.rng = rng = _rng(site.seed, "session", "detail", meta.index)
        self.events: list[Event] = []
        self.gs_next = rng.randint(2, 400)
        self.customer = self._customer()
        info = self.customer.info
        self.cust = Party("customer", self.customer.gsnumber, info.name or "")
        self.reps = [
            _RepPlan(self._representative(row)) for row in rng.sample(content.REPS, meta.reps)
        ]
        self.teams = [Team(team_id, name) for team_id, name in rng.sample(content.TEAMS, 2)]
        self.owner = self.reps[0]
        self.active = [self.owner]
        self.team_events: list[tuple[Event, Team]] = []
        self.join_events: dict[int, Event] = {}
        self.leave_events: dict[int, Event] = {}
        self.owner_events: list[tuple[Event, _RepPlan]] = []
        self.specials = [("shell", n) for n in range(meta.shells)]
        self.specials += [("screen", n) for n in range(meta.screens)]
        self.generic = rng.randint(8, 34)

    def _gs(self) -> int:
        self.gs_next += self.rng.randint(1, 5)
        return self.gs_next

    def _add(self, event_type: str, **fields: object) -> Event:
        event = Event(timestamp=0, event_type=event_type, **fields)  # type: ignore[arg-type]
        self.events.append(event)
        return event

    def build(self) -> _Plan:
        self._opening()
        for phase in range(len(self.reps)):
            self._phase(phase)
        extras = self._surveys()
        self._add("Session End", performed_by=_rep_party(self.owner))
        self._timestamps()
        owner_changes = self._settle_people()
        return _Plan(
            session=self._session(extras),
            reps=self.reps,
            owner_changes=owner_changes,
            team_changes=[(event.timestamp, team) for event, team in self.team_events],
        )

    def _opening(self) -> None:
        first = self.reps[0]
        self._add("Session Start", performed_by=self.cust)
        if self.rng.random() < 0.3:
            self._add(
                "Legal Agreement Response", performed_by=self.cust, data=[("response", "accepted")]
            )
        self._assign(self.teams[0])
        self.join_events[0] = self._add(
            "Conference Member Added", performed_by=_system(), destination=_rep_party(first)
        )
        self._owner_changed(first)
        if self.rng.random() < 0.7:
            self._add(
                "System Information Retrieved",
                performed_by=_rep_party(first),
                destination=self.cust,
                system_information=self._system_info(),
            )
        if self.meta.external_key is not None:
            self._add("External Key", performed_by=_rep_party(first), body=self.meta.external_key)

    def _phase(self, phase: int) -> None:
        """Representative ``phase`` joins (by transfer or conference), then work goes on."""
        rng = self.rng
        rep = self.reps[phase]
        if phase > 0:
            self.join_events[phase] = self._add(
                "Conference Member Added",
                performed_by=_rep_party(self.owner),
                destination=_rep_party(rep),
            )
            if rng.random() < 0.4:  # a transfer to another team: the new rep takes over
                self._assign(self.teams[1])
                self._add(
                    "Session Assignment Response",
                    performed_by=_rep_party(rep),
                    data=[("response", "accepted")],
                )
                self._owner_changed(rep)
                self.leave_events[self.reps.index(self.owner)] = self._add(
                    "Conference Member Departed", performed_by=_rep_party(self.owner)
                )
                self.active.remove(self.owner)
                self.owner = rep
            else:
                rep.rep.invited = True
            self.active.append(rep)
        phases = len(self.reps)
        share = self.generic // phases + (1 if phase < self.generic % phases else 0)
        chosen = [s for s in self.specials if rng.random() < 1 / (phases - phase)]
        self.specials = [s for s in self.specials if s not in chosen]
        slots: list[tuple[str, int] | None] = [None] * share + list(chosen)
        rng.shuffle(slots)
        for special in slots:
            actor = _rep_party(rng.choice(self.active))
            if special is None:
                self._generic(actor)
            elif special[0] == "shell":
                self._add(
                    "Command Shell Session Started",
                    performed_by=actor,
                    destination=self.cust,
                    data=[("instance", str(special[1]))],
                )
            else:
                self._add(
                    "Show My Screen Recording",
                    performed_by=self.cust,
                    destination=actor,
                    data=[("instance", str(special[1]))],
                )
        if phase > 0 and self.owner is not rep and rng.random() < 0.5:
            self.leave_events[phase] = self._add(
                "Conference Member Departed", performed_by=_rep_party(rep)
            )
            self.active.remove(rep)

    def _settle_people(self) -> list[tuple[int, _RepPlan]]:
        """Times of joining, leaving and owning, read from the timed events."""
        for index, event in self.join_events.items():
            self.reps[index].join = event.timestamp
        for index, event in self.leave_events.items():
            self.reps[index].leave = event.timestamp
        owner_changes = [(event.timestamp, rep) for event, rep in self.owner_events]
        for moment, rep in owner_changes:
            if rep.owner_since is None:
                rep.owner_since = moment
        for plan in self.reps:
            leave = plan.leave if plan.leave is not None else self.meta.end
            plan.rep.seconds_involved = leave - plan.join
            plan.rep.session_owner = plan.owner_since is not None
            plan.rep.primary_rep = plan is self.owner
        self.team_events[-1][1].primary = True
        return owner_changes

    def _session(self, extras: list[XmlNode]) -> Session:
        meta, site, owner = self.meta, self.site, self.owner.rep
        lsid = meta.lsid

        def url(mode: str, view: bool, instance: int | None = None) -> str:
            return _download_url(site, lsid, mode, view, instance)

        site_roll = _hash(site.seed, "site", meta.index) % 20
        public_site = ("1", "Default") if site_roll < 16 else ("2", "Support Europe")
        if site_roll == 19:
            public_site = ("3", "Unknown")
        session = Session(
            lsid=lsid,
            lseq=self._lseq(),
            start_time=meta.start,
            end_time=meta.end,
            duration=_hms(meta.end - meta.start),
            public_site_id=public_site[0],
            public_site_name=public_site[1],
            external_key=meta.external_key,
            custom_attributes=self._custom_attributes(),
            session_chat_view_url=url("chat", True),
            session_chat_download_url=url("chat", False),
            session_recording_view_url=url("screen", True) if meta.has_recording else None,
            session_recording_download_url=url("screen", False) if meta.has_recording else None,
            command_shell_recordings=[
                RecordingRef(n, url("shell", False, n), url("shell", True, n))
                for n in range(meta.shells)
            ],
            show_my_screen_recordings=[
                RecordingRef(n, url("sms", False, n), url("sms", True, n))
                for n in range(meta.screens)
            ],
            primary_customer_gsnumber=self.customer.gsnumber,
            primary_customer_name=self.cust.name,
            primary_rep_gsnumber=owner.gsnumber,
            primary_rep_id=owner.id,
            primary_rep_name=owner.display_name,
            customers=[self.customer],
            representatives=[plan.rep for plan in self.reps],
            teams=list({team.id: team for _, team in self.team_events}.values()),
            events=self.events,
            extra=extras,
        )
        _count_files(session, site.move_delete_counts)
        return session

    def _lseq(self) -> int:
        # Not unique, not strictly sequential (guide): now and then a number repeats.
        index = self.meta.index
        if _hash(self.site.seed, "lseq", index) % 50 == 0 and index > 0:
            index -= 1
        return 1000 + index

    def _timestamps(self) -> None:
        start, end = self.meta.start, self.meta.end
        middle = sorted(self.rng.randint(start, end) for _ in range(len(self.events) - 2))
        moments = [start, *middle, end]
        for event, moment in zip(self.events, moments, strict=True):
            event.timestamp = moment
        # Exit surveys are filled in as the session closes.
        for event in self.events:
            if event.event_type.endswith("Exit Survey"):
                event.timestamp = end

    def _assign(self, team: Team) -> None:
        event = self._add(
            "Session Assigned",
            performed_by=_system(),
            data=[("team", team.name), ("team_id", team.id or "")],
        )
        self.team_events.append((event, team))

    def _owner_changed(self, rep: _RepPlan) -> None:
        event = self._add(
            "Conference Owner Changed",
            destination=_rep_party(rep),
            data=[("owner", rep.rep.display_name or "")],
        )
        self.owner_events.append((event, rep))

    def _customer(self) -> Customer:
        rng = self.rng
        name = rng.choice(content.CUSTOMER_NAMES)
        company, code = rng.choice(content.COMPANIES)
        issue, details = rng.choice(content.ISSUES)
        ip_roll = rng.random()
        if ip_roll < 0.1:
            public_ip = "[::1]:443"
        elif ip_roll < 0.2:
            public_ip = f"[2001:db8::{rng.randint(1, 0xFFFF):x}]:{rng.randint(1024, 65535)}"
        else:
            public_ip = f"203.0.113.{rng.randint(1, 254)}:{rng.randint(1024, 65535)}"
        return Customer(
            gsnumber=self._gs(),
            username=name.split(" ")[0].lower() if rng.random() < 0.8 else "Unknown",
            public_ip=public_ip,
            private_ip=f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
            hostname=f"PC-{rng.randint(1000, 9999)}" if rng.random() < 0.9 else "Unknown",
            os=rng.choice(content.CUSTOMER_OS),
            primary_cust=True,
            rpat_support=rng.random() < 0.05,
            info=CustomerInfo(
                name=name,
                company=company if rng.random() < 0.8 else None,
                company_code=code if rng.random() < 0.6 else None,
                issue=issue,
                details=details if rng.random() < 0.7 else None,
            ),
        )

    def _representative(self, row: tuple[str, str, str, str, int, str]) -> Representative:
        rng = self.rng
        user_id, username, display, public_display, number, os_name = row
        return Representative(
            gsnumber=self._gs(),
            id=user_id,
            username=username,
            display_name=display,
            public_display_name=public_display,
            private_display_name=display,
            display_number=number,
            public_ip=f"198.51.100.{rng.randint(1, 254)}:{rng.randint(1024, 65535)}",
            private_ip="Unknown" if rng.random() < 0.3 else f"192.168.1.{rng.randint(2, 254)}",
            hostname=f"REP-{username.upper()}",
            os=os_name,
        )

    def _custom_attributes(self) -> list[CustomAttribute]:
        count = self.rng.choice((0, 0, 1, 2, 3))
        return [
            CustomAttribute(display, code, self.rng.choice(values))
            for display, code, values in self.rng.sample(content.CUSTOM_ATTRIBUTES, count)
        ]

    def _system_info(self) -> list[SystemInfoCategory]:
        rng, customer = self.rng, self.customer
        general = SystemInfoCategory(
            "General",
            [("name", "Name"), ("value", "Value")],
            [
                [("name", "Computer Name"), ("value", customer.hostname or "")],
                [("name", "Operating System"), ("value", customer.os or "")],
                [("name", "User"), ("value", customer.username or "")],
                [("name", "Uptime"), ("value", f"{rng.randint(1, 40)} days")],
            ],
        )
        memory = SystemInfoCategory(
            "Memory",
            [("name", "Name"), ("value", "Value")],
            [
                [("name", "Total Physical"), ("value", f"{rng.choice((8, 16, 32))} GB")],
                [("name", "Available Physical"), ("value", f"{rng.randint(1, 7)} GB")],
            ],
        )
        drives = SystemInfoCategory(
            "Drives",
            [("drive", "Drive"), ("type", "Type"), ("size", "Size"), ("used", "Percent Used")],
            [
                [
                    ("drive", f"{letter}:"),
                    ("type", kind),
                    ("size", f"{rng.randint(64, 2048)} GB"),
                    ("used", f"{rng.randint(1, 99)}%"),
                ]
                for letter, kind in (("C", "Local Disk"), ("D", "Network Drive"))[
                    : rng.randint(1, 2)
                ]
            ],
        )
        return [general, memory, drives]

    def _generic(self, rep: Party) -> None:
        """One event of everyday work: chat, files, registry, notes, windows, services."""
        rng, cust = self.rng, self.cust
        roll = rng.random()
        if roll < 0.45:
            if rng.random() < 0.04:
                text = rng.choice(content.CONTROL_TEXTS)
            else:
                text = rng.choice(content.CHAT_TEXTS)
            sender, receiver = (rep, None) if rng.random() < 0.5 else (cust, None)
            self._add(
                "Chat Message",
                performed_by=sender,
                destination=receiver,
                body=text,
                body_encoded=needs_encoding(text),
            )
        elif roll < 0.6:
            name, size = rng.choice(content.FILES)
            kind = rng.choice(
                ("File Upload", "File Download", "File Upload Failed", "File Download Failed")
            )
            data = [("reason", "Access is denied.")] if kind.endswith("Failed") else []
            self._add(
                kind, performed_by=rep, destination=cust, filename=name, filesize=size, data=data
            )
        elif roll < 0.65:
            shared = rng.sample(content.FILES, rng.randint(1, 3))
            self._add(
                "Files Shared",
                performed_by=rep,
                destination=cust,
                files=[FileInfo(name, size) for name, size in shared],
            )
        elif roll < 0.7:
            kind = rng.choice(("Directory Created", "File Deleted", "File Moved"))
            name = rng.choice(content.FILES)[0]
            data = [("destination", f"archive/{name}")] if kind == "File Moved" else []
            self._add(kind, performed_by=rep, destination=cust, filename=name, data=data)
        elif roll < 0.8:
            kind = rng.choice(content.REGISTRY_EVENTS)
            self._add(
                kind,
                performed_by=rep,
                destination=cust,
                data=[
                    ("key", rng.choice(content.REGISTRY_KEYS)),
                    ("value_name", "Start"),
                    ("old_value", "2"),
                    ("new_value", str(rng.randint(2, 4))),
                ],
            )
        elif roll < 0.87:
            self._add(
                "Foreground Window Changed",
                performed_by=cust,
                body=rng.choice(content.WINDOW_TITLES),
            )
        elif roll < 0.93:
            self._add("Session Note Added", performed_by=rep, body=rng.choice(content.NOTES))
        elif roll < 0.97:
            self._add(
                "Service Access Allowed",
                performed_by=cust,
                destination=rep,
                data=[("service", rng.choice(content.SERVICES))],
            )
        else:
            kind = rng.choice(
                (
                    "Callback Button Deployed",
                    "Callback Button Removed",
                    "Remote Shell Session Started",
                    "Conference Member State Changed",
                )
            )
            self._add(
                kind,
                performed_by=rep,
                destination=cust,
                data=[("state", "active")] if kind.endswith("Changed") else [],
            )

    def _surveys(self) -> list[XmlNode]:
        rng, customer, cust, owner = self.rng, self.customer, self.cust, self.owner
        extras: list[XmlNode] = []
        if rng.random() < 0.4:
            values = [
                ("rating", str(rng.randint(1, 5))),
                ("comments", rng.choice(content.SURVEY_COMMENTS)),
            ]
            self._add("Customer Exit Survey", performed_by=cust, data=values)
            extras.append(
                _survey("cust_survey_list", "cust_exit_survey", customer.gsnumber, values)
            )
        if rng.random() < 0.3:
            values = [("resolved", rng.choice(("yes", "no"))), ("category", "Printer")]
            self._add("Representative Exit Survey", performed_by=_rep_party(owner), data=values)
            extras.append(_survey("rep_survey_list", "rep_exit_survey", owner.rep.gsnumber, values))
        return extras


def _survey(
    list_tag: str, tag: str, gsnumber: int | None, values: list[tuple[str, str]]
) -> XmlNode:
    # Exit surveys as seen in public integrations: <cust_survey_list><cust_exit_survey
    # gsnumber=".."><value name=".." value=".."/>... They have no model field: kept as XmlNode.
    answers = [XmlNode("value", {"name": name, "value": value}) for name, value in values]
    return XmlNode(list_tag, children=[XmlNode(tag, {"gsnumber": str(gsnumber)}, "", answers)])


_FILE_TRANSFERS = frozenset({"File Upload", "File Download"})


def _count_files(session: Session, move_delete: bool) -> None:
    types = [event.event_type for event in session.events]
    session.file_transfer_count = sum(1 for t in types if t in _FILE_TRANSFERS)
    if move_delete:
        session.file_move_count = types.count("File Moved")
        session.file_delete_count = types.count("File Deleted")


def _in_progress(plan: _Plan, now: int) -> Session:
    """The session as the appliance reports it before its end: what has happened so far.

    [assumed] (docs/appliance-api.md#sessions): no duration, and no transcript or recording URLs
    until the end;
    a public PRA reference says the chat URLs appear "only for sessions that have ended".
    """
    session = plan.session
    session.end_time = None
    session.duration = None
    session.session_chat_view_url = None
    session.session_chat_download_url = None
    session.session_recording_view_url = None
    session.session_recording_download_url = None
    session.command_shell_recordings = []
    session.show_my_screen_recordings = []
    session.extra = []
    session.events = [event for event in session.events if event.timestamp <= now]
    owners = [rep for moment, rep in plan.owner_changes if moment <= now]
    owner = owners[-1] if owners else None
    visible = []
    for rep_plan in plan.reps:
        if rep_plan.join > now:
            continue
        rep = rep_plan.rep
        leave = rep_plan.leave if rep_plan.leave is not None and rep_plan.leave <= now else now
        rep.seconds_involved = leave - rep_plan.join
        rep.session_owner = rep_plan.owner_since is not None and rep_plan.owner_since <= now
        rep.primary_rep = rep_plan is owner
        visible.append(rep)
    session.representatives = visible
    session.primary_rep_gsnumber = owner.rep.gsnumber if owner else None
    session.primary_rep_id = owner.rep.id if owner else None
    session.primary_rep_name = owner.rep.display_name if owner else None
    assigned = [team for moment, team in plan.team_changes if moment <= now]
    teams = {team.id: Team(team.id, team.name) for team in assigned}
    if assigned:
        teams[assigned[-1].id].primary = True
    session.teams = list(teams.values())
    _count_files(session, session.file_move_count is not None)
    return session


def _build_presentation(site: SimulatedSite, meta: _Meta) -> Presentation:
    rng = _rng(site.seed, "presentation", "detail", meta.index)
    gs = rng.randint(2, 400)
    presenters: list[Representative] = []
    for row in rng.sample(content.REPS, rng.choice((1, 1, 2))):
        gs += 1
        user_id, username, display, public_display, number, os_name = row
        presenters.append(
            Representative(
                gsnumber=gs,
                id=user_id,
                username=username,
                display_name=display,
                public_display_name=public_display,
                private_display_name=display,
                display_number=number,
                os=os_name,
                session_owner=not presenters,
                primary_rep=not presenters,
                seconds_involved=meta.end - meta.start,
            )
        )
    attendees = []
    for name in rng.sample(content.CUSTOMER_NAMES, rng.randint(1, 8)):
        gs += 1
        attendees.append(
            Customer(
                gsnumber=gs,
                username=name,
                public_ip=f"203.0.113.{rng.randint(1, 254)}:{rng.randint(1024, 65535)}",
                hostname=f"PC-{rng.randint(1000, 9999)}",
                os=rng.choice(content.CUSTOMER_OS),
            )
        )
    lead = Party("representative", presenters[0].gsnumber, presenters[0].display_name or "")
    events = [Event(meta.start, "Session Start", performed_by=lead)]
    for attendee in attendees:
        events.append(
            Event(
                0,
                "Conference Member Added",
                performed_by=_system(),
                destination=Party("customer", attendee.gsnumber, attendee.username or ""),
            )
        )
    for _ in range(rng.randint(0, 6)):
        text = rng.choice(content.CHAT_TEXTS)
        events.append(Event(0, "Chat Message", performed_by=lead, body=text))
    events.append(Event(meta.end, "Session End", performed_by=lead))
    middle = sorted(rng.randint(meta.start, meta.end) for _ in range(len(events) - 2))
    for event, moment in zip(events[1:-1], middle, strict=True):
        event.timestamp = moment
    return Presentation(
        lsid=meta.lsid,
        lseq=500 + meta.index,
        start_time=meta.start,
        end_time=meta.end,
        duration=_hms(meta.end - meta.start),
        public_site_id="1",
        public_site_name="Default",
        external_key=meta.external_key,
        presentation_recording_download_url=(
            _download_url(site, meta.lsid, "presentation", False) if meta.has_recording else None
        ),
        presenters=presenters,
        attendees=attendees,
        events=events,
    )
