"""Validation messages in English and Chinese, and FormErrors, which carries them.

Turns jsonschema errors into short per-field messages; knows nothing about HTTP.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from jsonschema.exceptions import ValidationError

from forms.spec import normalize_lang, pick_text

Message = tuple[str, str]  # (English, Chinese)

_MESSAGES: dict[str, Message] = {
    "required": ("is required", "为必填项"),
    "unknown": ("unknown field", "不是此表单的字段"),
    "single": ("must be a single value", "只能填写一个值"),
    "text": ("must be text", "必须是文本"),
    "list": ("must be a list of choices", "必须是选项列表"),
    "boolean": ("must be yes or no", "必须为“是”或“否”"),
    "integer": ("must be a whole number", "必须是整数"),
    "number": ("must be a number", "必须是数字"),
    "date": ("must be a date like 2026-11-22", "必须是日期，例如 2026-11-22"),
    "money": (
        "must be an amount with at most two decimals, e.g. 1200.00",
        "必须是最多两位小数的金额，例如 1200.00",
    ),
    "money_negative": ("must not be negative", "不能为负数"),
    "email": (
        "must be an email address like name@example.com",
        "必须是邮箱地址，例如 name@example.com",
    ),
    "format": ("must be a valid {limit}", "必须是有效的 {limit}"),
    "enum": ("must be one of: {en}", "必须是以下之一：{zh}"),
    "const": ("must be {limit}", "必须是 {limit}"),
    "checked": ("must be ticked", "必须勾选"),
    "nonempty": ("must not be empty", "不能为空"),
    "minLength": ("must be at least {limit} characters", "至少需要 {limit} 个字符"),
    "maxLength": ("must be at most {limit} characters", "不能超过 {limit} 个字符"),
    "minimum": ("must be at least {limit}", "不能小于 {limit}"),
    "maximum": ("must be at most {limit}", "不能大于 {limit}"),
    "exclusiveMinimum": ("must be greater than {limit}", "必须大于 {limit}"),
    "exclusiveMaximum": ("must be less than {limit}", "必须小于 {limit}"),
    "multipleOf": ("must be a multiple of {limit}", "必须是 {limit} 的倍数"),
    "minItems": ("choose at least {limit}", "至少选择 {limit} 项"),
    "maxItems": ("choose at most {limit}", "最多选择 {limit} 项"),
    "uniqueItems": ("must not repeat a choice", "不能重复选择"),
    "pattern": ("is not in the expected format", "格式不正确"),
    "pattern_example": (
        "is not in the expected format, e.g. {example}",
        "格式不正确，应类似 {example}",
    ),
    "invalid": ("is not valid", "填写无效"),
}
# Common formats told by their pattern, for fields that give no x-pattern-message.
_PATTERN_HINTS: dict[str, Message] = {
    r"^([01][0-9]|2[0-3]):[0-5][0-9]$": (
        "must be a time as HH:MM, e.g. 09:30",
        "须为“时:分”格式的时间（HH:MM），例如 09:30",
    ),
    r"^[0-9]{4}-(0[1-9]|1[0-2])$": (
        "must be a month as YYYY-MM, e.g. 2026-10",
        "须为“年-月”格式的月份（YYYY-MM），例如 2026-10",
    ),
    r"^[0-9+\- ]{5,20}$": (
        "must be a phone number: 5 to 20 digits, spaces, + or -, e.g. 0571-88886666",
        "须为电话号码：5 至 20 位数字、空格、+ 或 -，例如 0571-88886666",
    ),
}
_TYPE_CODES = {
    "string": "text",
    "integer": "integer",
    "number": "number",
    "boolean": "boolean",
    "array": "list",
}
_LIMIT_CODES = frozenset(
    {
        "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum",
        "exclusiveMaximum", "multipleOf", "minItems", "maxItems", "const",
    }
)  # fmt: skip


class FormErrors(ValueError):
    """Submitted data failed validation; messages per field ("" = the whole form)."""

    def __init__(
        self, errors: dict[str, list[str]], errors_zh: dict[str, list[str]]
    ) -> None:
        summary = "; ".join(
            f"{key or 'form'}: {text}"
            for key, texts in errors.items()
            for text in texts
        )
        super().__init__(summary)
        self.errors = errors
        self.errors_zh = errors_zh

    def __repr__(self) -> str:
        return f"{type(self).__name__}(errors={self.errors!r})"

    def messages(self, lang: str) -> dict[str, list[str]]:
        """Return the messages in `lang`: Chinese for "zh…", English otherwise."""
        return self.errors_zh if normalize_lang(lang) == "zh" else self.errors


class Problems:
    """Collects messages per field in both languages, without duplicates."""

    def __init__(self) -> None:
        self._en: dict[str, list[str]] = {}
        self._zh: dict[str, list[str]] = {}

    def keys(self) -> list[str]:
        """Return the field keys that have at least one message."""
        return list(self._en)

    def has(self, key: str) -> bool:
        """Tell whether `key` already has a message."""
        return key in self._en

    def add(self, key: str, msg: Message) -> None:
        """Add one (English, Chinese) message under `key`."""
        self.add_texts(key, [msg[0]], [msg[1]])

    def add_texts(self, key: str, en: Iterable[str], zh: Iterable[str]) -> None:
        """Add English and Chinese message lists under `key`."""
        for store, texts in ((self._en, en), (self._zh, zh)):
            bucket = store.setdefault(key, [])
            bucket.extend(text for text in texts if text not in bucket)

    def raise_if_any(self, order: Sequence[str]) -> None:
        """Raise FormErrors if any message was collected, keys sorted as in `order`."""
        if not self._en:
            return
        rank = {key: index for index, key in enumerate(order)}
        keys = sorted(self._en, key=lambda key: rank.get(key, len(rank)))
        raise FormErrors(
            {key: self._en[key] for key in keys}, {key: self._zh[key] for key in keys}
        )


def message(code: str, **params: object) -> Message:
    """Return the (English, Chinese) message for `code`, formatted with `params`."""
    en, zh = _MESSAGES[code]
    return en.format(**params), zh.format(**params)


def describe(
    error: ValidationError, properties: Mapping[str, Mapping[str, Any]]
) -> list[tuple[str, Message]]:
    """Turn one jsonschema error into (field key, message) pairs."""
    path = list(error.absolute_path)
    if error.validator in ("required", "dependentRequired"):
        missing = _missing_names(error)
        keys = [str(path[0])] if path else missing
        return [(key, message("required")) for key in keys]
    key = str(path[0]) if path else ""
    return [(key, _explain(error, properties.get(key, {})))]


def _missing_names(error: ValidationError) -> list[str]:
    instance = error.instance if isinstance(error.instance, Mapping) else {}
    value: Any = error.validator_value
    wanted: list[str] = []
    if error.validator == "required":
        wanted = list(value)
    else:  # dependentRequired: {present_name: [names it needs]}
        for name, needs in dict(value).items():
            if name in instance:
                wanted.extend(needs)
    return [str(name) for name in wanted if name not in instance]


def _explain(error: ValidationError, prop: Mapping[str, Any]) -> Message:
    keyword = str(error.validator)
    value: Any = error.validator_value
    if keyword == "enum":
        return _enum_message(prop, list(value))
    if keyword == "type":
        return message(_TYPE_CODES.get(str(value), "invalid"))
    if keyword == "format":
        if value in ("date", "email"):
            return message(value)
        return message("format", limit=value)
    if keyword == "pattern":
        return pattern_message(prop)
    if keyword == "const" and value is True:
        return message("checked")  # a confirmation checkbox
    if keyword == "uniqueItems":
        return message("uniqueItems")
    if keyword == "minLength" and value == 1:
        return message("nonempty")
    if keyword in _LIMIT_CODES:
        return message(keyword, limit=value)
    return message("invalid")


def pattern_message(prop: Mapping[str, Any]) -> Message:
    """Say what a pattern field expects: its x-pattern-message, else a known format,
    else its first example, else only that the format is wrong."""
    default = _PATTERN_HINTS.get(str(prop.get("pattern")))
    examples = prop.get("examples")
    if default is None and isinstance(examples, list) and examples:
        default = message("pattern_example", example=examples[0])
    default = default or message("pattern")
    custom = prop.get("x-pattern-message")
    return pick_text(custom, "en", default[0]), pick_text(custom, "zh", default[1])


def _enum_message(prop: Mapping[str, Any], allowed: list[object]) -> Message:
    labels = prop.get("x-enum-labels")
    items = prop.get("items")
    if not isinstance(labels, Mapping) and isinstance(items, Mapping):
        labels = items.get("x-enum-labels")
    labels = labels if isinstance(labels, Mapping) else {}
    en = ", ".join(str(option) for option in allowed)
    zh = "、".join(pick_text(labels.get(str(o)), "zh", str(o)) for o in allowed)
    return message("enum", en=en, zh=zh)
