"""Size limits for sandboxed scripts: the operations whose work happens inside C code.

The script time budget (engine/scripting.py) is a trace function, so it can only stop a
script between Python lines. One C-level operation such as ``10 ** 10 ** 9``,
``"x" * 10 ** 10`` or ``f"{1:>999999999}"`` would run (or allocate) far past the budget
and take its worker down with it. The compiler rewrites ``**``, ``*``, ``<<`` and format
specs into calls of the guards below, which refuse a result larger than the limits
before computing it; ``range``, ``pow`` and the text methods that can grow a string are
replaced the same way. Everything a business script needs stays far below the limits.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable, Iterable
from typing import Any

from RestrictedPython.Guards import safer_getattr
from RestrictedPython.transformer import RestrictingNodeTransformer

MAX_INT_DIGITS = 10_000
MAX_INT_BITS = int(MAX_INT_DIGITS * math.log2(10))
MAX_ITEMS = 1_000_000  # items of a list or range, characters of a text


class ScriptLimitExceeded(ValueError):
    """A script asked for a number, list or text beyond the sandbox's size limits."""


_CHECKED_OPS: dict[type[ast.operator], str] = {ast.Pow: "**", ast.Mult: "*",
                                               ast.LShift: "<<", ast.Mod: "%"}


class LimitingTransformer(RestrictingNodeTransformer):
    """RestrictedPython's policy, plus calls of the size guards around C-level work."""

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        node = self.node_contents_visit(node)
        symbol = _CHECKED_OPS.get(type(node.op))
        if symbol is None:
            return node
        return _located(_call("_arith_", ast.Constant(symbol), node.left, node.right), node)

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        node = self.node_contents_visit(node)
        if node.format_spec is None:
            return node
        call = _call("_format_", node.value, ast.Constant(node.conversion),
                     node.format_spec)
        return _located(ast.FormattedValue(value=call, conversion=-1, format_spec=None),
                        node)


def _call(name: str, *args: ast.expr) -> ast.Call:
    return ast.Call(func=ast.Name(name, ast.Load()), args=list(args), keywords=[])


def _located(new: ast.AST, old: ast.AST) -> ast.AST:
    return ast.fix_missing_locations(ast.copy_location(new, old))


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _refuse_digits(bits: float, what: str) -> None:
    if bits > MAX_INT_BITS:
        digits = int(bits / math.log2(10)) + 1
        raise ScriptLimitExceeded(
            f"{what} would be a number of about {digits:,} digits; scripts may compute"
            f" numbers of up to {MAX_INT_DIGITS:,} digits")


def _refuse_items(count: int, what: str) -> None:
    if count > MAX_ITEMS:
        raise ScriptLimitExceeded(
            f"{what} would hold {count:,} items or characters; scripts may build at most"
            f" {MAX_ITEMS:,}")


def check_power(base: Any, exponent: Any) -> None:
    if _is_int(base) and _is_int(exponent) and exponent > 0 and abs(base) > 1:
        _refuse_digits(exponent * math.log2(abs(base)), f"{_short(base)} ** {exponent}")


def check_product(left: Any, right: Any) -> None:
    if _is_int(left) and _is_int(right):
        _refuse_digits(left.bit_length() + right.bit_length(), "this product")
    for sequence, times in ((left, right), (right, left)):
        if isinstance(sequence, (str, bytes, list, tuple)) and _is_int(times):
            _refuse_items(len(sequence) * max(times, 0), "this repetition")


def check_shift(number: Any, places: Any) -> None:
    if _is_int(number) and _is_int(places) and places > 0 and number:
        _refuse_digits(number.bit_length() + places, f"{_short(number)} << {places}")


# A %-conversion's width and precision: "%(name)-12.4f" gives "12" and "4".
_PERCENT = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?")
_SPEC_NUMBER = re.compile(r"\d+")


def check_text_format(template: str | bytes, sizes: Iterable[str]) -> None:
    """Refuse a width or precision that would build a huge text (``*`` included)."""
    for size in sizes:
        if size == "*":
            raise ScriptLimitExceeded(
                f"{template!r}: a * width or precision is not allowed in scripts")
        _refuse_items(int(size), "this formatted value")


def arith(symbol: str, left: Any, right: Any) -> Any:
    """``left <symbol> right`` after checking its result is of a reasonable size."""
    if symbol == "**":
        check_power(left, right)
        return left ** right
    if symbol == "*":
        check_product(left, right)
        return left * right
    if symbol == "<<":
        check_shift(left, right)
        return left << right
    if isinstance(left, str):
        sizes = [s for pair in _PERCENT.findall(left) for s in pair if s]
        check_text_format(left, sizes)
    return left % right


def format_value(value: Any, conversion: int, spec: str) -> str:
    """An f-string field with a format spec: its width and precision are bounded."""
    check_text_format(spec, _SPEC_NUMBER.findall(spec))
    convert: dict[int, Callable[[object], str]] = {ord("r"): repr, ord("s"): str,
                                                    ord("a"): ascii}
    if conversion in convert:
        value = convert[conversion](value)
    return format(value, spec)


def limited_range(*args: int) -> range:
    numbers = range(*args)
    try:
        count = len(numbers)
    except OverflowError:
        count = MAX_ITEMS + 1
    _refuse_items(count, f"range({', '.join(map(str, args))})")
    return numbers


def limited_pow(base: Any, exponent: Any, modulus: Any = None) -> Any:
    if modulus is None:
        check_power(base, exponent)
        return pow(base, exponent)
    return pow(base, exponent, modulus)  # modular: the result is below the modulus


def _padding(method: Callable[..., Any]) -> Callable[..., Any]:
    def padded(width: int, *rest: Any) -> Any:
        _refuse_items(width if _is_int(width) else 0, "this padded text")
        return method(width, *rest)
    return padded


def _joining(text: str | bytes) -> Callable[[Iterable[Any]], Any]:
    def join(parts: Iterable[Any]) -> Any:
        items = list(parts)
        size = sum(len(p) for p in items if isinstance(p, (str, bytes)))
        _refuse_items(size + len(text) * max(len(items) - 1, 0), "this joined text")
        return text.join(items)
    return join


def _replacing(text: str | bytes) -> Callable[..., Any]:
    def replace(old: Any, new: Any, count: int = -1) -> Any:
        if isinstance(old, type(text)) and isinstance(new, type(text)):
            found = text.count(old) if old else len(text) + 1  # type: ignore[arg-type]
            found = found if count < 0 else min(found, count)
            _refuse_items(len(text) + found * (len(new) - len(old)), "this replaced text")
        return text.replace(old, new, count)
    return replace


def _expanding(text: str | bytes) -> Callable[..., Any]:
    def expandtabs(tabsize: int = 8) -> Any:
        tabs = text.count("\t") if isinstance(text, str) else text.count(b"\t")
        _refuse_items(len(text) + tabs * max(tabsize, 0), "this expanded text")
        return text.expandtabs(tabsize)
    return expandtabs


def _padder(name: str) -> Callable[[Any], Callable[..., Any]]:
    return lambda text: _padding(getattr(text, name))


_TEXT_METHODS: dict[str, Callable[[Any], Callable[..., Any]]] = {
    "join": _joining, "replace": _replacing, "expandtabs": _expanding,
    **{name: _padder(name) for name in ("ljust", "rjust", "center", "zfill")},
}


def limited_getattr(obj: Any, name: str, *default: Any) -> Any:
    """RestrictedPython's safer getattr; text methods that grow a string are bounded."""
    value = safer_getattr(obj, name, *default)  # type: ignore[no-untyped-call]
    if isinstance(obj, (str, bytes)) and name in _TEXT_METHODS:
        return _TEXT_METHODS[name](obj)
    return value


def _short(number: int) -> str:
    return str(number) if abs(number) < 10**12 else f"a {number.bit_length()}-bit number"
