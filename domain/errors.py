"""Domain errors: one table in the API maps each to an HTTP status.

Every message is worded in Chinese for the clerk who reads it (docs/architecture.md, "Errors");
the attributes (`field`, `command`, `status`) stay the English identifiers a client matches on.
The sentences that more than one rule says are defined once here.
"""

from __future__ import annotations

from collections.abc import Collection

from domain.labels import COMMAND, FIELD, REGISTER_FIELD, label, label_of
from domain.values import Role, Status

NO_SUCH_CASE = "没有此信访事项，或您无权查看"
"""A case that does not exist and one the actor may not know exists read the same (404)."""
KEY_REUSED_FOR_OTHER_REQUEST = "此 Idempotency-Key 已用于另一项请求，新的请求请另取一个"
KEY_REUSED_WITH_OTHER_BODY = "此 Idempotency-Key 已随不同的请求内容使用过，新的请求请另取一个"
MONTH_FORMAT = "月份须为 YYYY-MM 格式（如 2026-11）"
UNKNOWN_TOKEN = "令牌无效，请核对后重新登录"
ACTOR_RECUSED = "您已声明回避本事项，不能再办理"
ACCUSED_UNIT = "该单位（或其上级单位）是本事项的被反映单位，不能承办"
RISK_ACCUSED_UNIT = "该单位（或其上级单位）是本隐患所涉单位，不能承担化解责任"
REASON_REQUIRED = "请写明理由"
TIME_FIELD = {"occurred_at": "发生时间", "paused_since": "暂停计时时间", "on": "日期"}
"""How a message names a time field whose form label (domain.labels.FIELD) is longer."""


def named(field: str) -> str:
    """The Chinese name of a field in a sentence (the identifier itself when it has none)."""
    return TIME_FIELD.get(field) or FIELD.get(field) or REGISTER_FIELD.get(field) or field


def no_such(what: str) -> str:
    """The refusal for a record that does not exist, named in Chinese (单位, 人员, 任务…)."""
    return f"没有此{what}"


def in_future(field: str) -> str:
    """A business time later than now."""
    return f"{named(field)}不能晚于现在"


def before(field: str, earliest: str) -> str:
    """A business time before the moment it must follow (`earliest`: what and when, in words)."""
    return f"{named(field)}不能早于{earliest}"


def needs_reason(command: str) -> str:
    """A command that must say why (`command`: its verb, or its name in Chinese)."""
    return f"办理“{COMMAND.get(command, command)}”须说明理由"


def wrong_role(name: str, role: Role, allowed: Collection[Role]) -> str:
    """A person named for a part their role cannot take (a 承办人 named as 包案领导)."""
    wanted = "或".join(label(r) for r in sorted(allowed, key=lambda r: r.value))
    return f"{name}的角色为{label(role)}，此处须为{wanted}"


def role_may_not(role: str, what: str) -> str:
    """A role refused an action (403); `what` is the action in Chinese (新增单位, 查看台账…)."""
    return f"您的角色（{label_of(Role, role)}）无权{what}"


class DomainError(Exception):
    """Base of every rule the domain refuses."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RuleViolationError(DomainError):
    """A command's input breaks a rule; names the offending field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class TransitionError(DomainError):
    """The case's current status does not allow the command.

    `command` is the command's verb and `status` the case's status code; `why` adds, in Chinese,
    what else the command waits for when the status alone does not tell.
    """

    def __init__(self, command: str, status: str, why: str = "") -> None:
        super().__init__(
            f"事项当前状态为“{label_of(Status, status)}”{why}，"
            f"不能办理“{COMMAND.get(command, command)}”"
        )
        self.command = command
        self.status = status


class StaleVersionError(DomainError):
    """The client's If-Match version is not the case's current version."""

    def __init__(self, expected: int, actual: int) -> None:
        super().__init__(
            f"该记录已更新至第 {actual} 版，与 If-Match 所示的第 {expected} 版不符："
            "请重新读取后再办理"
        )
        self.expected = expected
        self.actual = actual


class PermissionDeniedError(DomainError):
    """The actor may not do this (role, unit or relationship to the case)."""


class NotFoundError(DomainError):
    """No such case, unit or user, or one the actor may not know exists."""


class AuthenticationError(DomainError):
    """No valid credentials were presented."""


class IdempotencyKeyReusedError(DomainError):
    """An Idempotency-Key came back with a different request."""


class ConflictError(DomainError):
    """A record's present state does not allow the change (disabling a disabled user)."""


class RecordIntegrityError(DomainError):
    """A stored event or snapshot is not the one sealed for its place: altered, moved or copied."""

    def __init__(self, originator_id: object, originator_version: int, topic: str) -> None:
        super().__init__(
            f"记录 {originator_id} 第 {originator_version} 版（{topic}）未通过完整性校验："
            "该记录已被篡改，或自其他记录、版本或类型处移来或复制而来；"
            "系统数据已受损，请立即告知系统管理员运行 `xinfang verify` 核查"
        )
        self.originator_id = originator_id
        self.originator_version = originator_version
        self.topic = topic
