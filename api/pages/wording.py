"""The domain's refusals as a person at the counter reads them on a page.

The domain words its refusals in Chinese (domain/errors.py); a page shows them as they are, with
the page's own advice where a form is out of date (a stale version, a form sent twice, a status
that moved on since the page was drawn).
"""

from __future__ import annotations

from domain.bulletins import BulletinStateError
from domain.documents import DocumentStateError
from domain.errors import (
    DomainError,
    IdempotencyKeyReusedError,
    StaleVersionError,
    TransitionError,
)

NO_SUCH_COMMAND = "没有此项办理操作"
NO_SUCH_MONTH = "没有此月份"
RELOAD = "请刷新页面查看。"


def refusal(err: DomainError) -> str:
    """The Chinese wording of a refusal on a page."""
    if isinstance(err, IdempotencyKeyReusedError):
        return "此表单已提交过，请刷新页面后重新填写。"
    if isinstance(err, StaleVersionError):
        return "该事项已被他人更新，请刷新页面，核对后重新办理。"
    worded_whole = (BulletinStateError, DocumentStateError)  # their messages say what to do
    if isinstance(err, TransitionError) and not isinstance(err, worded_whole):
        return f"{err.message}。{RELOAD}"
    return err.message
