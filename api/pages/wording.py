"""The domain's refusals as a person at the counter reads them, in Chinese.

The domain and the API word their errors in English for developers (api.md); the pages show the
common ones in Chinese, by kind of error and, for rules, by the shape of the message. A message
not known here is shown as the domain words it, after a Chinese heading of its kind.
"""

from __future__ import annotations

import re

from domain.bulletins import BulletinStateError
from domain.errors import (
    DomainError,
    IdempotencyKeyReusedError,
    PermissionDeniedError,
    RuleViolationError,
    StaleVersionError,
    TransitionError,
)
from domain.labels import COMMAND, STATUS
from domain.values import Status

RULES = (
    (re.compile(r"lies before the registration \((.+)\)"), r"不能早于登记时间（\1）"),
    (re.compile(r"lies before the step it follows \((.+)\)"), r"不能早于上一步办理时间（\1）"),
    (re.compile(r"lies before ([0-9-]+)"), r"不能早于 \1"),
    (re.compile(r"lies in the future"), "不能晚于现在"),
    (re.compile(r"needs a time zone offset"), "请填写完整的时间"),
    (re.compile(r"needs a reason"), "须填写理由"),
    (re.compile(r"^no such user"), "没有此人员"),
    (re.compile(r"^no such unit"), "没有此单位"),
    (re.compile(r"^no such case"), "没有此事项，或您无权查看"),
    (re.compile(r"does not work in the responsible unit"), "不是责任单位的工作人员"),
    (re.compile(r" is a [a-z_]+, not "), "人员角色不符"),
    (re.compile(r"has stepped aside from this case"), "已回避本事项"),
)
KIND = {
    RuleViolationError: "不符合办理规定",
    PermissionDeniedError: "无权办理",
}


def _status(code: str) -> str:
    try:
        return STATUS[Status(code)]
    except ValueError:
        return code


def refusal(err: DomainError) -> str:
    """The Chinese wording of a refusal (the domain's own words where none is known)."""
    if isinstance(err, BulletinStateError):
        return err.message
    if isinstance(err, TransitionError):
        action = COMMAND.get(err.command, err.command)
        return f"事项当前状态为“{_status(err.status)}”，不能办理“{action}”。请刷新页面查看。"
    if isinstance(err, IdempotencyKeyReusedError):
        return "此表单已提交过，请刷新页面后重新填写。"
    if isinstance(err, StaleVersionError):
        return "该事项已被他人更新，请刷新页面，核对后重新办理。"
    if isinstance(err, PermissionDeniedError):
        if "stepped aside" in err.message:
            return "您已声明回避本事项，不能再办理。"
        return "您的角色无权办理此操作。"
    for pattern, words in RULES:
        match = pattern.search(err.message)
        if match:
            return match.expand(words)
    kind = next((text for t, text in KIND.items() if isinstance(err, t)), "无法办理")
    return f"{kind}：{err.message}"
