"""The restricted environment in which BPMN scripts, conditions and DMN cells run.

Scripts are compiled with RestrictedPython (no imports, no names or attributes starting
with ``_``, no ``open``/``eval``/``exec``), see only a whitelist of helpers, and are stopped
after a time budget; the work a single C-level operation can do is bounded by
``engine/sandboxlimits.py``. SpiffWorkflow calls ``evaluate``/``execute`` through its script engine.
"""

from __future__ import annotations

import sys
import time
from copy import deepcopy
from collections.abc import Callable, Mapping, MutableMapping
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from types import CodeType, FrameType
from typing import Any, Literal

from dateutil.relativedelta import relativedelta
from RestrictedPython.compile import compile_restricted
from RestrictedPython.Guards import safe_builtins
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
)
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import (
    BasePythonScriptEngineEnvironment,
)

from engine.sandboxlimits import (
    LimitingTransformer,
    arith,
    format_value,
    limited_getattr,
    limited_pow,
    limited_range,
)


class ScriptTimeout(Exception):
    """A script ran longer than its budget."""


class ScriptRejected(Exception):
    """A script uses something the sandbox forbids (found when compiling)."""


def _today() -> date:
    return datetime.now(timezone.utc).date()


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _money(value: object) -> str:
    """Format an amount as a decimal string with exactly two places."""
    return str(Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


HELPERS: Mapping[str, object] = {
    "Decimal": Decimal,
    "ROUND_HALF_UP": ROUND_HALF_UP,
    "date": date,
    "datetime": datetime,
    "timedelta": timedelta,
    "relativedelta": relativedelta,
    "timezone": timezone,
    "today": _today,
    "now": _now,
    "money": _money,
}

_BUILTINS: dict[str, object] = dict(safe_builtins)
for _name in ("min", "max", "sum", "any", "all", "enumerate", "sorted", "reversed",
              "list", "dict", "set", "map", "filter"):
    _BUILTINS[_name] = __builtins__[_name] if isinstance(__builtins__, dict) else getattr(
        __builtins__, _name
    )
_BUILTINS.pop("setattr", None)
_BUILTINS.pop("delattr", None)
_BUILTINS.update(range=limited_range, pow=limited_pow)


def _getitem(container: Any, key: Any) -> Any:
    return container[key]


def _getiter(obj: Any) -> Any:
    return iter(obj)


_INPLACE: Mapping[str, Callable[[Any, Any], Any]] = {
    "+=": lambda a, b: a + b, "-=": lambda a, b: a - b,
    "*=": lambda a, b: arith("*", a, b), "/=": lambda a, b: a / b,
    "//=": lambda a, b: a // b, "%=": lambda a, b: arith("%", a, b),
}


def _inplacevar(op: str, left: Any, right: Any) -> Any:
    if op not in _INPLACE:
        raise ScriptRejected(f"operator {op} is not allowed in scripts")
    return _INPLACE[op](left, right)


GUARDS: Mapping[str, object] = {
    "__builtins__": _BUILTINS,
    "_getattr_": limited_getattr,
    "_arith_": arith,
    "_format_": format_value,
    "_getitem_": _getitem,
    "_getiter_": _getiter,
    "_write_": full_write_guard,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_inplacevar_": _inplacevar,
}


@lru_cache(maxsize=2048)
def compile_script(source: str, mode: Literal["exec", "eval"] = "exec") -> CodeType:
    """Compile a script or expression under the sandbox rules (cached by source)."""
    result = compile_restricted(source, filename="<string>", mode=mode,
                                policy=LimitingTransformer)
    if not isinstance(result, CodeType):  # pragma: no cover - defensive
        raise ScriptRejected("script did not compile")
    return result


def check_script(source: str, mode: Literal["exec", "eval"] = "exec"
                 ) -> tuple[int | None, str] | None:
    """Return (line, reason) when the sandbox refuses the source, else None."""
    try:
        compile_script(source, mode)
    except SyntaxError as exc:
        return exc.lineno, str(exc.msg if exc.msg else exc)
    return None


class _Deadline:
    """A trace function that stops a script once its time budget is spent."""

    def __init__(self, seconds: float) -> None:
        self.until = time.monotonic() + seconds
        self.seconds = seconds

    def __call__(self, frame: FrameType, event: str, arg: object) -> Any:
        if time.monotonic() > self.until:
            raise ScriptTimeout(f"script ran longer than {self.seconds:g} s")
        return self


def _run(code: CodeType, scope: dict[str, Any], seconds: float) -> Any:
    previous = sys.gettrace()
    sys.settrace(_Deadline(seconds))
    try:
        return eval(code, scope)  # noqa: S307 - code was compiled by RestrictedPython
    finally:
        sys.settrace(previous)


class SandboxEnvironment(BasePythonScriptEngineEnvironment):  # type: ignore[misc]
    """SpiffWorkflow script environment that runs everything through the sandbox."""

    def __init__(self, *, timeout: float = 2.0) -> None:
        super().__init__(dict(HELPERS))
        self.timeout = timeout

    def evaluate(
        self,
        expression: str,
        context: Mapping[str, Any],
        external_context: Mapping[str, Any] | None = None,
    ) -> Any:
        scope: dict[str, Any] = dict(HELPERS)
        scope.update(external_context or {})
        scope.update(context)
        scope.update(GUARDS)
        return _run(compile_script(expression.strip(), "eval"), scope, self.timeout)

    def execute(
        self,
        script: str,
        context: MutableMapping[str, Any],
        external_context: Mapping[str, Any] | None = None,
    ) -> bool:
        injected = {**HELPERS, **(external_context or {}), **GUARDS}
        clash = set(HELPERS).intersection(context)
        if clash:
            raise ValueError(f"task data overwrites the helper(s) {sorted(clash)}")
        context.update(injected)
        try:
            _run(compile_script(script), context, self.timeout)  # type: ignore[arg-type]
        finally:
            for key in list(context):
                if key in injected or callable(context[key]):
                    context.pop(key)
        return True

    def call_service(self, context: Mapping[str, Any], **kwargs: Any) -> Any:
        raise ScriptRejected("service tasks are not supported by this engine")


# Set on a Spiff task the first time one of its scripts runs: its data just before.
DATA_BEFORE_SCRIPTS = "_signoff_data_before_scripts"


class SandboxScriptEngine(PythonScriptEngine):  # type: ignore[misc]
    """Spiff's script engine, made safe for errors whose first argument is not text.

    SpiffWorkflow 3.2.0 builds its error message with ``name + ":" + err.args[0]``, which
    itself raises TypeError for e.g. ``Decimal("abc")`` (``InvalidOperation`` carries a
    list): the script's real failure would escape as a crash instead of an incident.
    """

    def __init__(self, *, environment: SandboxEnvironment,
                 unstorable: Callable[[Mapping[str, Any]], str | None] | None = None
                 ) -> None:
        super().__init__(environment=environment)
        self.unstorable = unstorable

    def execute(self, task: Any, script: str,
                external_context: Mapping[str, Any] | None = None) -> Any:
        # Spiff shares nested lists and dicts between a task's data and its parent's, so
        # a script that edits one in place changes "before" too: keep a real copy.
        if not hasattr(task, DATA_BEFORE_SCRIPTS):
            setattr(task, DATA_BEFORE_SCRIPTS, deepcopy(task.data))
        result = super().execute(task, script, external_context)
        # A value the state cannot hold (bytes, a range, NaN...) must fail here, at the
        # script, not later as a crash while saving.
        problem = self.unstorable(task.data) if self.unstorable else None
        if problem:
            raise WorkflowTaskException(f"the script left {problem}", task=task)
        return result

    def create_task_exec_exception(self, task: Any, script: str, err: Exception) -> Any:
        if err.args and not isinstance(err.args[0], str):
            line, text = self.get_error_line_number_and_content(script, err)
            return WorkflowTaskException(f"{type(err).__name__}: {_reason(err)}", task=task,
                                         exception=err, line_number=line, error_line=text)
        return super().create_task_exec_exception(task, script, err)


def _reason(err: Exception) -> str:
    if isinstance(err, InvalidOperation):
        return "not a valid decimal number or operation"
    return str(err)


def make_script_engine(timeout: float = 2.0, *,
                       unstorable: Callable[[Mapping[str, Any]], str | None] | None = None
                       ) -> PythonScriptEngine:
    """Return the script engine every workflow of this engine runs with.

    ``unstorable`` names a variable the instance state could not hold (None if all can).
    """
    return SandboxScriptEngine(environment=SandboxEnvironment(timeout=timeout),
                               unstorable=unstorable)
