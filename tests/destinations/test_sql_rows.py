"""The mapping of a session to rows, without a database: nothing in a session is dropped."""

from __future__ import annotations

import dataclasses
import itertools
import types
import typing
import xml.etree.ElementTree as ElementTree
from typing import Any

from ictray.appliance.model import Session, SystemInfoCategory, XmlNode
from ictray.destinations.sql.dialects import DIALECTS
from ictray.destinations.sql.rows import flatten, information_xml, session_rows
from ictray.destinations.sql.tables import TABLES

_counter = itertools.count(1)


def _fill(hint: Any) -> Any:
    """A value of type ``hint`` where every string and integer is new (bools are False)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return _fill(next(arg for arg in args if arg is not type(None)))
    if origin is list:
        return [_fill(args[0]), _fill(args[0])]
    if origin is tuple:
        return tuple(_fill(arg) for arg in args)
    if origin is dict:
        return {_fill(args[0]): _fill(args[1])}
    if hint is str:
        return f"marker{next(_counter)}x"
    if hint is bool:
        return False
    if hint is int:
        return 700_000 + next(_counter)
    if dataclasses.is_dataclass(hint):
        if hint is XmlNode:  # recursive: two levels are enough
            return XmlNode(
                _fill(str),
                {_fill(str): _fill(str)},
                _fill(str),
                [XmlNode(_fill(str), text=_fill(str))],
            )
        hints = typing.get_type_hints(hint)
        fields = [f for f in dataclasses.fields(hint) if f.compare]  # not source bytes
        return hint(**{f.name: _fill(hints[f.name]) for f in fields})
    raise AssertionError(f"no filler for {hint!r}")


def _markers(value: Any) -> set[str]:
    """Every string and integer inside a model object, as text."""
    if isinstance(value, bool):
        return set()
    if isinstance(value, str | int):
        return {str(value)}
    if dataclasses.is_dataclass(value):
        return set().union(*(_markers(getattr(value, f.name)) for f in dataclasses.fields(value)))
    if isinstance(value, dict):
        return set().union(*(_markers(k) | _markers(v) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return set().union(*(_markers(item) for item in value))
    return set()


def _stored_text(rows: Any) -> str:
    values: list[Any] = [*rows.session]
    for table in (
        rows.customers,
        rows.representatives,
        rows.teams,
        rows.custom_attributes,
        rows.session_data,
        rows.events,
    ):
        values += [value for row in table for value in row]
    for pairs in rows.event_data + rows.system_information:
        values += [value for pair in pairs for value in pair]
    return "\n".join(str(value) for value in values)


def test_every_string_and_number_of_a_full_session_is_stored():
    session = _fill(Session)
    markers = _markers(session) - {"support"}
    assert len(markers) > 100  # the filler reached the nested objects
    rows = session_rows(session, "site.example.com", DIALECTS["sqlite"].time_value, True)
    stored = _stored_text(rows)
    times = {
        str(session.start_time),
        str(session.end_time),
        *(str(event.timestamp) for event in session.events),
    }
    missing = {marker for marker in markers - times if marker not in stored}
    assert not missing, f"dropped: {sorted(missing)}"


def test_row_shapes_match_the_tables():
    session = _fill(Session)
    rows = session_rows(session, "h", DIALECTS["postgresql"].time_value, True)
    assert len(rows.session) == len(TABLES["session"])
    for attribute, table in (
        ("customers", "customer"),
        ("representatives", "representative"),
        ("teams", "team"),
        ("custom_attributes", "custom_attribute"),
        ("events", "session_event"),
    ):
        assert {len(row) + 1 for row in getattr(rows, attribute)} == {len(TABLES[table])}
    assert len(rows.event_data) == len(rows.system_information) == len(rows.events)


def test_ids_that_are_not_integers_keep_their_text():
    session = Session("a" * 32, public_site_id="main-site")
    rows = session_rows(session, "h", DIALECTS["sqlite"].time_value, True)
    assert rows.session[TABLES["session"].index("public_site_id")] is None
    assert ("public_site/@id", "main-site") in rows.session_data
    session.public_site_id = " 12 "
    rows = session_rows(session, "h", DIALECTS["sqlite"].time_value, True)
    assert rows.session[TABLES["session"].index("public_site_id")] == 12
    session.public_site_id = str(2**40)  # beyond the 32-bit column
    rows = session_rows(session, "h", DIALECTS["sqlite"].time_value, True)
    assert ("public_site/@id", str(2**40)) in rows.session_data


def test_flatten_names_follow_xpath():
    nodes = [
        XmlNode(
            "survey",
            {"gsnumber": "4"},
            children=[
                XmlNode("value", {"name": "a"}),
                XmlNode("value", {"name": "b"}, "text"),
                XmlNode("comment", text="fine"),
            ],
        ),
        XmlNode("empty"),
    ]
    assert list(flatten(nodes)) == [
        ("survey/@gsnumber", "4"),
        ("survey/value[1]/@name", "a"),
        ("survey/value[2]/@name", "b"),
        ("survey/value[2]", "text"),
        ("survey/comment", "fine"),
        ("empty", ""),
    ]


def test_information_is_xml_that_reads_back():
    category = SystemInfoCategory(
        "Programs",
        description=[("Name", "Name"), ("Publisher", 'Publisher "Inc"')],
        rows=[[("Name", "A & B <beta>"), ("Publisher", "X")], [("Name", "C")]],
    )
    root = ElementTree.fromstring(f"<c>{information_xml(category)}</c>")
    assert [(f.get("name"), f.text) for f in root.findall("description/field")] == [
        ("Name", "Name"),
        ("Publisher", 'Publisher "Inc"'),
    ]
    assert [[(f.get("name"), f.text) for f in row] for row in root.findall("data/row")] == [
        [("Name", "A & B <beta>"), ("Publisher", "X")],
        [("Name", "C")],
    ]
