"""marshmallow's built-in validation messages, set once in Chinese for every schema of the API.

A marshmallow field copies its class's `default_error_messages` when it is made, and a validator
formats its class's messages when it is made; so this module runs before any schema is declared:
`api/__init__.py` imports it first. The API, the web pages and the OpenAPI checks then share one
wording, and no field spells its own message. Ranges are worded as inclusive: the API declares no
other kind.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

REQUIRED = "此项必填"
FIELD_MESSAGES: dict[type[fields.Field[Any]], dict[str, str]] = {
    fields.Field: {
        "required": REQUIRED,
        "null": REQUIRED,
        "validator_failed": "取值无效",
    },
    fields.String: {"invalid": "应为文字", "invalid_utf8": "不是有效的 UTF-8 文字"},
    fields.UUID: {"invalid_uuid": "不是有效的编号（UUID）"},
    fields.Number: {"invalid": "请填写数字", "too_large": "数值过大"},
    fields.Integer: {"invalid": "请填写整数"},
    fields.Float: {"special": "请填写有限的数字"},
    fields.Boolean: {"invalid": "应为是或否（true 或 false）"},
    fields.Date: {"invalid": "请填写日期（年-月-日，如 2026-11-20）", "format": "无法输出为日期"},
    fields.DateTime: {
        "invalid": "请填写时间（如 2026-11-20T09:30:00+08:00）",
        "invalid_awareness": "请填写带时区的时间（如 2026-11-20T09:30:00+08:00）",
        "format": "无法输出为时间",
    },
    fields.Enum: {"unknown": "应为以下之一：{choices}"},
    fields.List: {"invalid": "应为列表"},
    fields.Mapping: {"invalid": "应为对象（键值对）"},
    fields.Nested: {"type": "应为对象"},
}
"""Each field class's messages by key (the keys are marshmallow's)."""
SCHEMA_MESSAGES = {"type": "应为 JSON 对象", "unknown": "不接受此项（未知字段）"}


def install() -> None:
    """Put the Chinese messages in place of marshmallow's English defaults."""
    for field_class, messages in FIELD_MESSAGES.items():
        field_class.default_error_messages = {
            **field_class.default_error_messages,
            **messages,
        }
    Schema.error_messages = {**Schema.error_messages, **SCHEMA_MESSAGES}
    validate.Length.message_min = "不能少于 {min} 个字符"
    validate.Length.message_max = "不能超过 {max} 个字符"
    validate.Length.message_all = "长度应为 {min} 至 {max} 个字符"
    validate.Length.message_equal = "长度应为 {equal} 个字符"
    validate.Range.message_min = "不能小于 {{min}}"
    validate.Range.message_max = "不能大于 {{max}}"
    validate.Range.message_all = "应在 {{min}} 至 {{max}} 之间"
    validate.OneOf.default_message = "应为以下之一：{choices}"


def item_count(minimum: int | None = None, maximum: int | None = None) -> validate.Length:
    """A list's bounds on its number of items, worded as items (Length words characters)."""
    if minimum is not None and maximum is not None:
        error = "应有 {min} 至 {max} 项"
    elif minimum is not None:
        error = "至少须有 {min} 项"
    else:
        error = "最多 {max} 项"
    return validate.Length(min=minimum, max=maximum, error=error)


install()
