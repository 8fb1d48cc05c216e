"""The bytes of each session as the appliance sent it, found while the report streams through.

A file destination stores a session's XML as it came: the appliance's namespace, every element
and attribute in its order, even those ictray has no field for. Re-serialising the parsed tree
would cost more than parsing it, so ``RawSlicer`` finds each child of the report's root in the
bytes fed to the parser: from the child's start tag, it looks for end tags of the same name,
counting start tags of that name in between. That is exact as long as no comment, CDATA section
or processing instruction lies inside the child (only there can ``<`` appear other than as a
tag), which the appliance never sends. When one does, or the document is not UTF-8, the slicer
gives up for the rest of the report and ``serialise_element`` writes the child from the parsed
tree instead: the same elements, attributes, namespaces and text, without the comments.

Nothing here recurses over the document: elements are written from an explicit stack.
"""

from __future__ import annotations

import re
from xml.etree import ElementTree
from xml.etree.ElementTree import Element

from ictray.appliance.model import SourceXml

DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
_UTF8_BOM = b"\xef\xbb\xbf"
_SPACE = b" \t\r\n"
#: a start tag: qualified name, attributes (quoted values may hold ">"), optional "/" before ">"
_START_TAG = re.compile(rb"<([^\s/>!?]+)(?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*\s*(/?)>")
_TAG_REST = re.compile(rb"(?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*\s*(/?)>")
_END_REST = re.compile(rb"\s*>")
_ENCODING = re.compile(rb"encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_UTF8_NAMES = frozenset({b"utf-8", b"utf8", b"us-ascii", b"ascii"})


class RawSlicer:
    """The bytes of each child of the root, in document order, from the bytes fed so far.

    ``add`` every chunk given to the parser; once the parser has seen the root, ``find_root``;
    then ``take`` each completed child of the root, in order. ``take`` answers ``None`` when
    it cannot be sure of the bytes; from then on it always does.
    """

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.position = 0  # where the next child is looked for in ``buffer``
        self.usable = True
        self.head = b""
        self.tail = b""
        #: a comment, CDATA section or instruction was seen after the root's start tag: each
        #: child is then checked for one before its bytes are trusted
        self.suspicious = False
        self._last = b""

    def add(self, data: bytes) -> None:
        if self.usable:
            if not self.suspicious and self.head:
                self.suspicious = _has_markup(self._last + data)
            self._last = data[-1:]
            self.buffer += data

    def give_up(self) -> None:
        self.usable = False
        self.buffer = bytearray()
        self.position = 0

    def find_root(self, root: Element) -> None:
        """Read the prolog and the root's start tag (already fed: the parser has seen it)."""
        buffer = self.buffer
        position = len(_UTF8_BOM) if buffer.startswith(_UTF8_BOM) else 0
        if buffer.startswith(b"<?xml", position):
            end = buffer.find(b"?>", position)
            encoding = _ENCODING.search(buffer, position, end)
            if end < 0 or (encoding is not None and encoding.group(1).lower() not in _UTF8_NAMES):
                self._fallback_frame(root)
                return
            position = end + 2
        position = _skip_misc(buffer, position)
        match = _START_TAG.match(buffer, position) if position >= 0 else None
        if match is None or _local(match.group(1)) != _local_of(root.tag):
            self._fallback_frame(root)
            return
        self.head = DECLARATION + bytes(match.group(0)) + b"\n"
        self.tail = b"\n</" + bytes(match.group(1)) + b">\n"
        self.position = match.end()
        self._compact()
        self.suspicious = _has_markup(self.buffer)

    def _fallback_frame(self, root: Element) -> None:
        namespace, local = _split(root.tag)
        xmlns = f' xmlns="{_escape_attribute(namespace)}"' if namespace else ""
        self.head = DECLARATION + f"<{local}{xmlns}>\n".encode()
        self.tail = f"\n</{local}>\n".encode()
        self.give_up()

    def take(self, element: Element) -> bytes | None:
        """The bytes of ``element``, the next completed child of the root; None if unsure."""
        if not self.usable:
            return None
        buffer = self.buffer
        start = _skip_misc(buffer, self.position)
        match = _START_TAG.match(buffer, start) if start >= 0 else None
        if match is None or _local(match.group(1)) != _local_of(element.tag):
            self.give_up()
            return None
        if match.group(2):  # <name .../>
            end = match.end()
        else:
            end = self._end_of(match.group(1), match.end())
            if end < 0:
                self.give_up()
                return None
        if self.suspicious and (
            buffer.find(b"<!", start, end) >= 0 or buffer.find(b"<?", start, end) >= 0
        ):
            self.give_up()  # a comment, CDATA section or instruction: a "<" that is no tag
            return None
        lsid = element.get("lsid")
        if lsid and buffer.find(lsid.encode(), start, match.end()) < 0:
            self.give_up()  # the start tag is not the one parsed: lost our place
            return None
        self.position = end
        return bytes(buffer[start:end])

    def _end_of(self, qname: bytes, position: int) -> int:
        """Where the element whose start tag ends at ``position`` ends; -1 if not found.

        End tags of its name are looked for, and start tags of its name before each counted
        (an element may hold another of the same name).
        """
        buffer = self.buffer
        opener, closer = b"<" + qname, b"</" + qname
        depth = 1
        while True:
            close = _find_tag(buffer, closer, position, len(buffer))
            if close < 0:
                return -1
            nested = _find_tag(buffer, opener, position, close)
            while nested >= 0:
                rest = _TAG_REST.match(buffer, nested + len(opener))
                if rest is None:
                    return -1
                if not rest.group(1):
                    depth += 1
                nested = _find_tag(buffer, opener, rest.end(), close)
            rest = _END_REST.match(buffer, close + len(closer))
            if rest is None:
                return -1
            depth -= 1
            position = rest.end()
            if depth == 0:
                return position

    def compact(self) -> None:
        """Forget the bytes of the children taken so far."""
        if self.usable:
            self._compact()

    def _compact(self) -> None:
        if self.position:
            del self.buffer[: self.position]
            self.position = 0

    def source(self, element: Element, raw: bytes | None) -> SourceXml:
        """The stored form of a child: its bytes as sent, else written from the tree."""
        if raw is None:
            raw = serialise_element(element)
        return SourceXml(self.head, raw, self.tail)


def _skip_misc(buffer: bytearray, position: int) -> int:
    """The position of the next tag after whitespace, text, comments and instructions."""
    while True:
        position = buffer.find(b"<", position)
        if position < 0:
            return -1
        if buffer.startswith(b"<!--", position):
            end = buffer.find(b"-->", position + 4)
            if end < 0:
                return -1
            position = end + 3
        elif buffer.startswith(b"<?", position):
            end = buffer.find(b"?>", position + 2)
            if end < 0:
                return -1
            position = end + 2
        else:
            return position


def _find_tag(buffer: bytearray, needle: bytes, start: int, end: int) -> int:
    """The next ``needle`` (``<name`` or ``</name``) in ``[start, end)`` that ends the name."""
    after = len(needle)
    size = len(buffer)
    while True:
        found = buffer.find(needle, start, end)
        if found < 0:
            return -1
        if found + after < size and buffer[found + after] in _NAME_ENDS:
            return found
        start = found + 1


_NAME_ENDS = frozenset(b" \t\r\n/>")


def _has_markup(data: bytes | bytearray) -> bool:
    """True when ``data`` holds the start of a comment, CDATA section or instruction.

    Looks for the rare ``!`` and ``?`` and then at the byte before: much faster than looking
    for ``<!`` in text full of ``<``.
    """
    for mark in (b"!", b"?"):
        found = data.find(mark, 1)
        while found >= 0:
            if data[found - 1] == 0x3C:  # "<"
                return True
            found = data.find(mark, found + 1)
    return False


def _local(qname: bytes) -> str:
    return qname.rpartition(b":")[2].decode("utf-8", "replace")


def _local_of(tag: str) -> str:
    return tag.rpartition("}")[2]


# -- writing a parsed element ---------------------------------------------------------------------

_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_ATTRIBUTE_ESCAPES = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "\t": "&#9;",
        "\n": "&#10;",
        "\r": "&#13;",
    }
)


def _escape_text(text: str) -> str:
    return text.translate(_TEXT_ESCAPES)


def _escape_attribute(text: str) -> str:
    return text.translate(_ATTRIBUTE_ESCAPES)


def _split(name: str) -> tuple[str, str]:
    if name[:1] == "{":
        namespace, _, local = name[1:].partition("}")
        return namespace, local
    return "", name


def serialise_element(element: Element, *, namespaces: bool = True) -> bytes:
    """``element`` and everything in it as XML (UTF-8), its own tail left out.

    Names keep their namespaces: the element's own is declared as the default namespace (or
    undeclared with ``xmlns=""`` where an element has none), others get ``ns1``, ``ns2``...
    declared on the element. With ``namespaces=False`` every name is written without its
    namespace. Iterative, so nesting of any depth is written.
    """
    out: list[str] = []
    prefixes: dict[str, str] = {}
    root_default = _split(element.tag)[0] if namespaces else ""
    # (element, default namespace in effect around it, its closing tag once opened)
    stack: list[tuple[Element, str, str | None]] = [(element, root_default, None)]
    while stack:
        node, default, closing = stack.pop()
        if closing is not None:
            out.append(f"</{closing}>")
            if node is not element and node.tail:
                out.append(_escape_text(node.tail))
            continue
        namespace, local = _split(node.tag)
        if not namespaces:
            namespace = ""
        declarations: list[str] = []
        qname = local
        if node is element:
            if namespaces:  # whatever default the enclosing document declares
                declarations.append(f' xmlns="{_escape_attribute(namespace)}"')
        elif namespace == default:
            pass
        elif namespace in ("", root_default):
            default = namespace
            declarations.append(f' xmlns="{_escape_attribute(namespace)}"')
        else:
            qname = f"{_prefix(prefixes, namespace, declarations)}:{local}"
        attributes = []
        for name, value in node.attrib.items():
            attr_namespace, attr_local = _split(name)
            if attr_namespace and namespaces:
                attr_name = f"{_prefix(prefixes, attr_namespace, declarations)}:{attr_local}"
            else:
                attr_name = attr_local
            attributes.append(f' {attr_name}="{_escape_attribute(value)}"')
        out.append(f"<{qname}{''.join(declarations)}{''.join(attributes)}>")
        if node.text:
            out.append(_escape_text(node.text))
        stack.append((node, default, qname))
        stack.extend((child, default, None) for child in reversed(node))
    return "".join(out).encode("utf-8")


def _prefix(prefixes: dict[str, str], namespace: str, declarations: list[str]) -> str:
    """A prefix for ``namespace``; declared on the element being written each time it is used.

    Declaring on every element that uses it keeps the output correct wherever it is cut.
    """
    prefix = prefixes.get(namespace)
    if prefix is None:
        prefix = f"ns{len(prefixes) + 1}"
        prefixes[namespace] = prefix
    declaration = f' xmlns:{prefix}="{_escape_attribute(namespace)}"'
    if declaration not in declarations:
        declarations.append(declaration)
    return prefix


def document_without_namespaces(source: SourceXml) -> bytes:
    """The stored document of one session with every name out of its namespace.

    For the Download Format ``xml-no-namespace``: simple XPath tools then need no prefixes.
    The session's bytes were checked when the report was read (no DTD, no entity), so a plain
    parser is safe here.
    """
    root = ElementTree.fromstring(source.document())
    root_local = _split(root.tag)[1]
    parts = [DECLARATION, f"<{root_local}>\n".encode()]
    for child in root:
        parts.append(serialise_element(child, namespaces=False))
    parts.append(f"\n</{root_local}>\n".encode())
    return b"".join(parts)
