"""Safe parsing of uploaded XML: no DTD, no entities, no network, bounded size.

Everything that reads BPMN or DMN bytes goes through ``parse`` so that an
entity-expansion or XXE file is refused before any library sees it; ``text`` decodes a
file for people to read and edit exactly as ``parse`` reads it.
"""

from __future__ import annotations

import codecs
import re

from lxml import etree

from engine.errors import DefinitionInvalid

MAX_BYTES = 5 * 1024 * 1024
REPLACEMENT = "\ufffd"
DOCTYPE_REFUSED = "DOCTYPE declarations are not allowed (entities and DTDs are refused)"

_PARSER_OPTIONS = dict(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_blank_text=False,
)
_DECLARED = re.compile(
    r"""^(\ufeff?\s*<\?xml[^>]*?encoding=)(["'])([A-Za-z0-9._-]+)\2"""
)


def parse(file_name: str, data: bytes) -> etree._Element:
    """Parse bytes into an element tree or raise DefinitionInvalid naming the line."""
    if len(data) > MAX_BYTES:
        raise DefinitionInvalid(
            f"file is {len(data)} bytes; the limit is {MAX_BYTES} bytes", file=file_name
        )
    if not data.strip():
        raise DefinitionInvalid("file is empty", file=file_name)
    if _has_doctype(data):
        raise DefinitionInvalid(DOCTYPE_REFUSED, file=file_name, line=1)
    parser = etree.XMLParser(**_PARSER_OPTIONS)
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        reason = _explain(exc)
        raise DefinitionInvalid(reason, file=file_name, line=exc.lineno) from exc
    except (ValueError, LookupError) as exc:  # unknown encoding names and the like
        raise DefinitionInvalid(f"cannot decode file: {exc}", file=file_name) from exc
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise DefinitionInvalid(DOCTYPE_REFUSED, file=file_name, line=1)
    for node in root.iter():
        if isinstance(node, etree._Entity):
            raise DefinitionInvalid(
                "entity references are not allowed", file=file_name, line=node.sourceline
            )
    return root


class _PrologRead(Exception):
    """The parser reached the root element or a DOCTYPE: the prolog is known."""


class _DoctypeProbe:
    """A parser target that notes a DOCTYPE and stops at the root element."""

    def __init__(self) -> None:
        self.found = False

    def doctype(self, *_args: object) -> None:
        self.found = True
        raise _PrologRead

    def start(self, *_args: object) -> None:
        raise _PrologRead

    def close(self) -> None:
        return None


def _has_doctype(data: bytes) -> bool:
    """Whether the prolog declares a DOCTYPE, found before any entity is expanded.

    An entity bomb or an external entity otherwise stops libxml with its own internals
    ("see xmlCtxtSetMaxAmplification") instead of the reason: DTDs are refused.
    """
    probe = _DoctypeProbe()
    try:
        etree.fromstring(data, parser=etree.XMLParser(target=probe, **_PARSER_OPTIONS))
    except (_PrologRead, etree.XMLSyntaxError, ValueError, LookupError):
        pass  # syntax and encoding errors are reported by the real parse
    return probe.found


def text(file_name: str, data: bytes) -> str:
    """The file as text, decoded in the encoding ``parse`` reads it in (declared, BOM).

    The XML declaration then names UTF-8, the encoding ``to_utf8`` writes. Bytes that
    do not parse are read as UTF-8 (undecodable bytes become U+FFFD, which no save
    accepts).
    """
    try:
        root = parse(file_name, data)
    except DefinitionInvalid:
        return to_text(data.decode(_declared(data) or "utf-8", errors="replace"))
    encoding = root.getroottree().docinfo.encoding or "utf-8"
    try:
        decoded = data.decode(codecs.lookup(encoding).name)
    except (LookupError, UnicodeDecodeError):
        # libxml knows an encoding (or a variant) Python does not: keep its reading.
        decoded = etree.tostring(root.getroottree(), encoding="unicode")
    return to_text(decoded)


def to_text(decoded: str) -> str:
    """Decoded XML without a byte order mark, its declaration naming UTF-8."""
    return _DECLARED.sub(r"\1\2UTF-8\2", decoded.lstrip("\ufeff"), count=1)


def to_utf8(source: str) -> bytes:
    """XML text as UTF-8 bytes, with a declaration that says so."""
    return to_text(source).encode("utf-8")


def _declared(data: bytes) -> str | None:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    found = _DECLARED.match(data[:200].decode("ascii", errors="replace"))
    if found is None:
        return None
    try:
        return codecs.lookup(found.group(3)).name
    except LookupError:
        return None


def replaced(new: str, original: str) -> tuple[int, int | None]:
    """How many more U+FFFD replacement characters ``new`` has than ``original``, and
    the line of the first one when ``original`` has none: text lost to a wrong decoding.
    """
    more = new.count(REPLACEMENT) - original.count(REPLACEMENT)
    if more <= 0:
        return 0, None
    if REPLACEMENT in original:
        return more, None
    return more, new[: new.index(REPLACEMENT)].count("\n") + 1


def _explain(exc: etree.XMLSyntaxError) -> str:
    message = str(exc.msg or exc)
    lowered = message.lower()
    if "encoding" in lowered or "utf-8" in lowered or "input is not proper" in lowered:
        return (
            "file is not valid text in its declared encoding (declare it in the XML "
            f"header, e.g. encoding=\"GBK\", or save as UTF-8): {message}"
        )
    if "entity" in lowered:
        return f"entities are not allowed: {message}"
    return f"malformed XML: {message}"
