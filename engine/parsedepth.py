"""Stack room for SpiffWorkflow, which follows sequence flows recursively.

SpiffWorkflow parses a process by recursing from each element into the element its
outgoing flow leads to, a few Python frames per element. With Python's default limit of
1,000 frames a process of about 480 steps in a row could not be deployed (nor, once
deployed, loaded by another process) and the admin read "RecursionError(...)". While a
bundle is parsed the limit is raised to what its size needs; Python 3.11+ does not use the
C stack for these Python-to-Python calls, so the deeper recursion is safe.

Running is another matter: a new workflow predicts every step ahead, one frame each, under
the normal limit. A process too long for that is refused at deploy, not at its first start.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow

FRAMES_PER_ELEMENT = 4  # measured: about two; twice that for headroom
CEILING = 200_000  # a 5 MiB file holds fewer elements than CEILING / FRAMES_PER_ELEMENT

_lock = threading.Lock()
_active = 0  # parses in progress, in any thread
_saved = 0  # the limit to restore when the last one ends


@contextmanager
def room_for(elements: int) -> Iterator[None]:
    """Raise the recursion limit for a parse of ``elements`` XML elements, then restore it."""
    global _active, _saved
    with _lock:
        if _active == 0:
            _saved = sys.getrecursionlimit()
        _active += 1
        wanted = min(CEILING, _saved + FRAMES_PER_ELEMENT * elements)
        if wanted > sys.getrecursionlimit():
            sys.setrecursionlimit(wanted)
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0:
                sys.setrecursionlimit(_saved)


SPARE_FRAMES = 250  # callers of a start (web request, worker, engine API) need these


def startable(spec: Any, subprocess_specs: Any) -> bool:
    """Whether a workflow of ``spec`` can be created with SPARE_FRAMES frames in use."""
    return _after_frames(SPARE_FRAMES, lambda: BpmnWorkflow(spec, subprocess_specs))


def _after_frames(frames: int, create: Any) -> bool:
    if frames:
        return _after_frames(frames - 1, create)
    try:
        create()
    except RecursionError:
        return False
    return True


TOO_LONG_TO_RUN = (
    "the process has too many steps one after another to run: SpiffWorkflow predicts "
    "every step ahead when an instance starts, recursively, and runs out of stack; move "
    "parts of it into called processes (callActivity)")
TOO_DEEP = ("the process has too many elements one after another for SpiffWorkflow's "
            "parser, which follows sequence flows recursively; move parts of it into "
            "called processes (callActivity)")
