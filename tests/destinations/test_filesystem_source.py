"""Stored session files hold what the appliance sent: its namespace, every element and attribute.

Each stored session is compared, as canonical XML (C14N 2.0), with the session element of the
report that came over HTTPS, in each namespace appliances use (and none), for documents that
carry elements and attributes no reader knows.
"""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from ictray.appliance import contract, reports
from ictray.appliance.model import Presentation, Refusal, Session
from ictray.appliance.parse import iter_presentations, iter_sessions
from ictray.destinations.filesystem import FileSystemDestination
from ictray.simulator.dialect import Dialect

HOST = "support.example.com"
NAMESPACES = (
    contract.NAMESPACE_BOMGAR,
    contract.NAMESPACE_BEYONDTRUST,
    contract.NAMESPACE_PRA,
    None,
)
DAY = 86400


def canonical(element: ET.Element, *, namespaces: bool = True) -> str:
    """C14N of one element alone (its tail left out); optionally with names out of namespaces."""
    element = ET.fromstring(ET.tostring(element))  # a copy: the caller's tree stays as it is
    element.tail = None
    if not namespaces:
        for node in element.iter():
            node.tag = node.tag.rpartition("}")[2]
            node.attrib = {name.rpartition("}")[2]: value for name, value in node.attrib.items()}
    return ET.canonicalize(ET.tostring(element, encoding="unicode"), rewrite_prefixes=True)


def stored_element(path: str) -> ET.Element:
    root = ET.fromstring(Path(path).read_bytes())
    (element,) = list(root)
    return element


def fetch(simulator, report: str, since: int) -> bytes:
    params = {
        contract.GENERATE_REPORT: report,
        contract.START_TIME: str(since),
        contract.DURATION: "0",
    }
    with simulator.client() as client:
        answer = client.open("GET", contract.REPORTING_PATH, params=params, what="the report")
        with answer:
            return b"".join(client.read_all(answer, what="the report"))


def namespaced(namespace: str | None):
    marks = pytest.mark.simulator(
        sessions=30, days=2, namespace=namespace, dialect=Dialect(extra_markup=True)
    )
    return pytest.param(namespace, marks=marks, id=str(namespace))


@pytest.mark.parametrize("namespace", [namespaced(ns) for ns in NAMESPACES])
@pytest.mark.parametrize("download_format", ["xml", "xml-no-namespace"])
def test_each_stored_session_is_the_element_that_came_in(
    simulator, tmp_path: Path, namespace: str | None, download_format: str
) -> None:
    since = simulator.site.now - 3 * DAY
    incoming = ET.fromstring(fetch(simulator, contract.SUPPORT_SESSION, since))
    with simulator.client() as client:
        sessions = list(reports.iter_sessions(client, reports.TimeWindow(since=since)))
    assert sessions and all(isinstance(s, Session) for s in sessions)
    destination = FileSystemDestination(
        "Archive", {"directory": str(tmp_path), "download_format": download_format}
    )
    locations = destination.write_sessions(HOST, sessions)  # type: ignore[arg-type]

    keep = download_format == "xml"
    sent = {element.get("lsid"): canonical(element, namespaces=keep) for element in incoming}
    assert len(sent) == len(locations) == len(sessions)
    for location, session in zip(locations, sessions, strict=True):
        element = stored_element(location)
        assert canonical(element, namespaces=keep) == sent[session.lsid], session.lsid
        data = Path(location).read_bytes()
        assert b"routing_note" in data and b"region=" in data and b"license_type=" in data
        if keep and namespace is not None:
            assert element.tag == f"{{{namespace}}}session"
            assert f'xmlns="{namespace}"'.encode() in data
        else:
            assert element.tag == "session" and b"xmlns=" not in data.split(b"?>", 1)[1][:200]
        assert list(iter_sessions(data)) == [session]  # the file still reads as the session


@pytest.mark.simulator(
    sessions=10,
    presentations=12,
    days=2,
    dialect=Dialect(extra_markup=True),
    namespace=contract.NAMESPACE_BEYONDTRUST,
)
def test_stored_presentations_are_the_elements_that_came_in(simulator, tmp_path: Path) -> None:
    since = simulator.site.now - 3 * DAY
    incoming = ET.fromstring(fetch(simulator, contract.PRESENTATION_SESSION, since))
    with simulator.client() as client:
        items = list(reports.iter_presentations(client, reports.TimeWindow(since=since)))
    assert items and all(isinstance(item, Presentation) for item in items)
    destination = FileSystemDestination("Archive", {"directory": str(tmp_path)})
    locations = destination.write_presentations(HOST, items)  # type: ignore[arg-type]
    sent = {element.get("lsid"): canonical(element) for element in incoming}
    for location, item in zip(locations, items, strict=True):
        assert canonical(stored_element(location)) == sent[item.lsid]
        assert list(iter_presentations(Path(location).read_bytes())) == [item]


LSID = "0123456789abcdef0123456789abcdef"
LSID2 = "fedcba9876543210fedcba9876543210"

# A prefixed namespace, attributes in another order and quoted with ', an unknown element in a
# namespace of its own, entities: the bytes are stored as they are.
PREFIXED = f"""<?xml version='1.0' encoding='utf-8'?>
<r:session_list xmlns:r="https://www.beyondtrust.com/namespaces/API/reporting"
    xmlns:x="urn:example:other" generated='2024-12-03'>
  <r:session x:mark="1" lsid='{LSID}' >
    <r:lseq>8</r:lseq>
    <r:external_key>A &amp; B &lt;C&gt; &#x263A;</r:external_key>
    <x:unknown level="2"><x:deeper>text</x:deeper></x:unknown>
    <r:session>nested element of the same name</r:session>
    <r:rep_list><r:representative gsnumber="3" id="9"/></r:rep_list>
  </r:session>
  <r:session lsid="{LSID2}"/>
</r:session_list>
""".encode()

# A comment and a CDATA section inside a session: the bytes cannot be cut out with certainty,
# so the session is written from the parsed tree (comments, which C14N leaves out, are lost).
COMMENTED = f"""<?xml version="1.0" encoding="UTF-8"?>
<session_list xmlns="http://www.bomgar.com/namespaces/API/reporting">
<session lsid="{LSID}">
  <!-- a comment holding </session> -->
  <lseq>4</lseq>
  <external_key><![CDATA[a <b> & </session>]]></external_key>
  <other xmlns="">no namespace <inner>here</inner></other>
</session>
<session lsid="{LSID2}"><lseq>5</lseq></session>
</session_list>
""".encode()

# Not UTF-8: written from the parsed tree into a UTF-8 file.
LATIN = (
    '<?xml version="1.0" encoding="ISO-8859-1"?>\n'
    f'<session_list><session lsid="{LSID}"><external_key>Müller</external_key>'
    f'</session><session lsid="{LSID2}"/></session_list>'
).encode("latin-1")


@pytest.mark.parametrize(
    "body", [PREFIXED, COMMENTED, LATIN], ids=["prefixed", "commented", "latin"]
)
@pytest.mark.parametrize("chunk", [7, 64 * 1024])
def test_unusual_documents_are_stored_as_they_came(tmp_path: Path, body: bytes, chunk: int) -> None:
    pieces = [body[i : i + chunk] for i in range(0, len(body), chunk)]
    sessions = list(iter_sessions(pieces))
    assert not any(isinstance(s, Refusal) for s in sessions)
    locations = FileSystemDestination("Archive", {"directory": str(tmp_path)}).write_sessions(
        HOST,
        sessions,  # type: ignore[arg-type]
    )
    incoming = list(ET.fromstring(body))
    assert len(locations) == len(incoming) == 2
    for location, element in zip(locations, incoming, strict=True):
        stored = stored_element(location)
        assert canonical(stored) == canonical(element)
    if body is PREFIXED:  # byte for byte, as the appliance wrote it
        first = Path(locations[0]).read_bytes()
        start = PREFIXED.index(b"<r:session x:mark")
        end = PREFIXED.index(b"</r:session>\n  <r:session lsid") + len(b"</r:session>")
        assert PREFIXED[start:end] in first
        assert b"generated='2024-12-03'" in first
