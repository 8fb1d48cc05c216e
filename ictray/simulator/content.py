"""What simulated sessions are made of: people, texts, files, and the bytes of media files.

The texts are chosen to break careless code: umlauts, Japanese, Arabic, XML specials, characters
outside the BMP, control characters (which force ``encoded_body``) and hostile external keys that
make poor file names. Everything here is constant data or a pure function of its arguments.
"""

from __future__ import annotations

import hashlib
import random
import struct

# (user id, username, display name, public display name, display number, OS)
REPS: tuple[tuple[str, str, str, str, int, str], ...] = (
    ("1", "admin", "Administrator", "Support", 1, "Windows 11 Enterprise (22H2)"),
    ("2", "amueller", "Anna Müller", "Anna", 2, "Windows 10 Pro (22H2)"),
    ("3", "jgross", "Jürgen Groß", "Jürgen G.", 3, "macOS 14.4"),
    ("4", "ytanaka", "田中 裕子", "Yuko (田中)", 4, "Windows 11 Pro (23H2)"),
    ("5", "falsayed", "فاطمة السيد", "Fatima", 5, "Ubuntu 22.04.4 LTS"),
    ("6", "jsmith", "John Smith", "John", 6, "Windows 10 Enterprise (21H2)"),
    ("7", "zobrien", "Zoë O'Brien", "Zoë", 7, "macOS 13.6"),
    ("8", "rdubois", "Renée Dubois", "Renée & Co", 8, "Unknown"),
    ("9", "lwei", "李伟", "Li Wei", 9, "Windows 11 Pro (23H2)"),
    ("10", "ojonsson", "Ólafur Jónsson", "Óli", 10, "Fedora Linux 39"),
)

# (id, name) — names hold XML specials and non-ASCII on purpose.
TEAMS: tuple[tuple[str, str], ...] = (
    ("1", "General Support"),
    ("2", "Tier 2 – Netzwerk"),
    ("3", "Desktop 日本"),
    ("4", "Escalations & <Security>"),
)

CUSTOMER_NAMES = (
    "Maria García",
    "Klaus Bäcker",
    "佐藤 健",
    "أحمد حسن",
    "Peter O'Neil",
    "Chloé Martin",
    "Sven Åström",
    "Unknown",
    "Élodie Faure",
    "Dmitri Ivanov",
    "Ngozi Okafor",
    "Priya Sharma",
)
COMPANIES = (
    ("Müller & Söhne GmbH", "MS-001"),
    ("株式会社サンプル", "JP-7"),
    ("Acme Corp.", "ACME"),
    ("شركة المثال", "AR-22"),
    ("Contoso <Labs>", "CL-3"),
    ("Unknown", "Unknown"),
)
ISSUES = (
    ("Printer", "Der Drucker im Büro druckt nicht mehr."),
    ("VPN", "VPN disconnects every 5 minutes & reconnects."),
    ("E-Mail", "Outlook が起動しません。"),
    ("Network", "لا أستطيع الاتصال بالشبكة"),
    ("Software", 'Install "Tool <v2>" please\nLine two of the description.'),
)
CUSTOMER_OS = (
    "Windows 10 Pro (22H2)",
    "Windows 11 Home (23H2)",
    "macOS 14.4",
    "Ubuntu 22.04.4 LTS",
    "Unknown",
)

CHAT_TEXTS = (
    "Hello, how can I help you today?",
    "I can't print since this morning.",
    "Please accept the prompt so I can see your screen.",
    "Grüß Gott! Können Sie bitte die Datei öffnen? Danke schön.",
    "Das Problem tritt nur bei großen Dateien auf (Größe > 10 MB).",
    "こんにちは。プリンターが動きません。",
    "画面共有を許可してください。よろしくお願いします。",
    "مرحبا، لا أستطيع الاتصال بالشبكة.",
    "شكرا جزيلا لمساعدتك",
    'Use <b>bold</b> & "quotes" – it\'s fine',
    "Done 👍 — all good now",
    "Line one\r\nLine two after CRLF",
    "  leading and trailing spaces  ",
    "Pfad: C:\\Users\\Jürgen\\Desktop\\Bericht.docx",
)
# Pasted terminal output and the like: XML 1.0 cannot carry these, so they go as encoded_body.
CONTROL_TEXTS = (
    "pasted from terminal: \x1b[31mERROR\x1b[0m",
    "form feed\x0cand bell\x07",
    "NUL in the middle\x00of text",
    "vertical\x0btab and \x01\x02\x03",
)
NOTES = (
    "Customer rebooted; issue resolved.",
    "Treiber neu installiert, Kunde zufrieden.",
    "再起動後に解決しました。",
    "Escalated to tier 2 — see ticket.",
)
WINDOW_TITLES = (
    "Microsoft Outlook",
    "Geräte-Manager",
    "コントロール パネル",
    "Command Prompt - ping 10.0.0.1",
    "Settings & Privacy",
)
FILES = (
    ("report.pdf", 182_331),
    ("Bericht_Übersicht.xlsx", 48_210),
    ("ログ.txt", 2_048),
    ("drivers/printer setup.exe", 31_457_280),
    ("config & backup.zip", 1_048_576),
    ("empty.txt", 0),
)
REGISTRY_KEYS = (
    r"HKEY_LOCAL_MACHINE\SOFTWARE\Contoso\Agent",
    r"HKEY_CURRENT_USER\Software\Microsoft\Office\16.0\Outlook",
    r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\Spooler",
)
REGISTRY_EVENTS = (
    "Registry Key Added",
    "Registry Key Deleted",
    "Registry Key Renamed",
    "Registry Value Added",
    "Registry Value Deleted",
    "Registry Value Modified",
    "Registry Value Renamed",
    "Registry Exported",
    "Registry Imported",
)
SERVICES = ("Spooler", "wuauserv", "Dnscache")
CUSTOM_ATTRIBUTES = (
    ("Ticket Priority", "ticket_priority", ("P1", "P2", "P3")),
    ("Customer Tier", "customer_tier", ("Gold", "Silver", "Unknown")),
    ("Kostenstelle", "kostenstelle", ("4711-Ö", "0815")),
    ("Asset Tag", "asset_tag", ("", "AT-00042")),
)
# Empty, ordinary, and hostile to file names and SQL: destinations must cope with all of them.
EXTERNAL_KEYS = (
    "INC0012345",
    "CHG-2024-0042",
    "../../etc/passwd",
    "CON",
    "a:b*?",
    "NUL.txt",
    "ticket/42\\..",
    " padded ",
    "x" * 300,
    "Ticket 日本語 #7",
    "'; DROP TABLE session;--",
    "<tag>&amp;",
)
SURVEY_COMMENTS = (
    "Very helpful, thanks!",
    "Sehr gut, danke!",
    "とても助かりました。",
    "شكرا",
    "Too slow & <rude>",
)

FLV = "video/x-flv"
MP4 = "video/mp4"
_FLV_HEADER = b"FLV\x01\x05\x00\x00\x00\x09" + b"\x00\x00\x00\x00"
_FLV_TAG_OVERHEAD = 11 + 4  # tag header and the PreviousTagSize after it
_FLV_CHUNK = 4096
_MP4_FTYP = struct.pack(">I", 32) + b"ftypisom" + struct.pack(">I", 0x200) + b"isomiso2avc1mp41"
MIN_MEDIA_SIZE = 64


def flv_bytes(seed: int, size: int) -> bytes:
    """A structurally valid FLV file of exactly ``size`` bytes (video tags of seeded noise)."""
    noise = random.Random(seed).randbytes(size)
    parts = [_FLV_HEADER]
    remaining = size - len(_FLV_HEADER)
    timestamp = 0
    offset = 0
    while remaining > 0:
        data_size = min(_FLV_CHUNK, remaining - _FLV_TAG_OVERHEAD)
        if remaining - data_size - _FLV_TAG_OVERHEAD < _FLV_TAG_OVERHEAD + 1:
            data_size = remaining - _FLV_TAG_OVERHEAD
        ts = timestamp & 0xFFFFFF
        header = (
            b"\x09"
            + data_size.to_bytes(3, "big")
            + ts.to_bytes(3, "big")
            + bytes([(timestamp >> 24) & 0xFF])
            + b"\x00\x00\x00"
        )
        parts.append(header)
        parts.append(b"\x17" + noise[offset + 1 : offset + data_size])
        parts.append((11 + data_size).to_bytes(4, "big"))
        offset += data_size
        remaining -= data_size + _FLV_TAG_OVERHEAD
        timestamp += 40
    return b"".join(parts)


def mp4_bytes(seed: int, size: int) -> bytes:
    """An MP4 file of exactly ``size`` bytes: an ``ftyp`` box and one ``mdat`` of seeded noise."""
    payload = size - len(_MP4_FTYP) - 8
    mdat = struct.pack(">I", payload + 8) + b"mdat" + random.Random(seed).randbytes(payload)
    return _MP4_FTYP + mdat


def backup_bytes(seed: int, header: str, size: int, password: str | None) -> bytes:
    """Fake ``.nsb`` contents: a readable header, then seeded noise, scrambled by the password.

    The password is never stored; the same password always gives the same bytes.
    """
    body = random.Random(seed).randbytes(size)
    if password:
        key = hashlib.shake_256(password.encode("utf-8") + seed.to_bytes(16, "big")).digest(size)
        body = (int.from_bytes(body, "big") ^ int.from_bytes(key, "big")).to_bytes(size, "big")
    return header.encode("utf-8") + body
