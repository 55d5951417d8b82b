"""Safe parsing of uploaded XML: no DTD, no entities, no network, bounded size.

Everything that reads BPMN or DMN bytes goes through ``parse`` so that an entity-expansion
or XXE file is refused before any library sees it.
"""

from __future__ import annotations

from lxml import etree

from engine.errors import DefinitionInvalid

MAX_BYTES = 5 * 1024 * 1024

_PARSER_OPTIONS = dict(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_blank_text=False,
)


def parse(file_name: str, data: bytes) -> etree._Element:
    """Parse bytes into an element tree or raise DefinitionInvalid naming the line."""
    if len(data) > MAX_BYTES:
        raise DefinitionInvalid(
            f"file is {len(data)} bytes; the limit is {MAX_BYTES} bytes", file=file_name
        )
    if not data.strip():
        raise DefinitionInvalid("file is empty", file=file_name)
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
        raise DefinitionInvalid(
            "DOCTYPE declarations are not allowed (entities and DTDs are refused)",
            file=file_name,
            line=1,
        )
    for node in root.iter():
        if isinstance(node, etree._Entity):
            raise DefinitionInvalid(
                "entity references are not allowed", file=file_name, line=node.sourceline
            )
    return root


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
