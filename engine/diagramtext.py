"""The BPMN shown to people: lanes named by their group's title, names in their language.

A lane's name is a group id (``account_staff``) because that is what assigns its tasks;
people reading the diagram want 大客户服务人员 or "Account staff". In English, elements
that carry a ``name_en`` property show it. The source stays as deployed; this is a copy
for display, cached per version, language and group titles.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

from lxml import etree

from engine import xmlsafe
from engine.modelcheck import NS, properties


_CACHE: dict[tuple[int, bool, tuple[tuple[str, str], ...]], str] = {}
_CACHE_SIZE = 128
_lock = threading.Lock()


def labelled(version_id: int, xml: str, lang: str,
             group_titles: Mapping[str, tuple[str, str | None]]) -> str:
    """``xml`` (process version ``version_id``) named for readers of ``lang``."""
    english = lang == "en"
    titles = tuple(sorted((name, (en if english and en else zh))
                          for name, (zh, en) in group_titles.items()))
    key = (version_id, english, titles)
    with _lock:
        found = _CACHE.get(key)
    if found is None:
        found = _relabel(xml, english, dict(titles))
        with _lock:
            if len(_CACHE) >= _CACHE_SIZE:
                _CACHE.pop(next(iter(_CACHE)))
            _CACHE[key] = found
    return found


def _relabel(xml: str, english: bool, by_group: Mapping[str, str]) -> str:
    root = xmlsafe.parse("diagram.bpmn", xml.encode("utf-8"))
    for lane in root.iterfind(".//bpmn:lane", NS):
        title = by_group.get(lane.get("name", ""))
        if title:
            lane.set("name", title)
    if english:
        for node in root.iter():
            if isinstance(node.tag, str) and node.get("name") is not None:
                name_en = properties(node).get("name_en")
                if name_en:
                    node.set("name", name_en)
    body = str(etree.tostring(root, encoding="unicode"))
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + body
