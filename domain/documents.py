"""The documents a case gives rise to (docs/documents.md): the office that issues them, their
numbers (文号), and the sentences the law asks each to carry.

A document's number is given once, by the `DocumentIssued` event of its case, from a sequence per
kind and year (`X信受告〔2026〕12号`); a reprint carries the number it was given. The office's
name, the number prefix and the seal placeholder are the instance's configuration
(`xinfang config`), read when a document is issued or printed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import date
from typing import Any

from domain.errors import DomainError, TransitionError
from domain.values import DocumentKind

K = DocumentKind


@dataclass(frozen=True)
class OfficeProfile:
    """Who issues the county's documents: configuration of the instance (`xinfang config`)."""

    county: str = "本县"
    """The county's name as documents print it (e.g. 某某县)."""
    office: str = "县信访局"
    """The issuing office (发文机关)."""
    number_prefix: str = "县信"
    """The office's short name that opens each 文号 (e.g. `X信` in `X信受告〔2026〕12号`)."""
    seal: str = "（印章）"
    """What stands where the seal is pressed on paper."""

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> OfficeProfile:
        """A profile from stored settings; unknown keys are ignored, blank ones take defaults."""
        known = {f.name for f in fields(cls)}
        given = {k: str(v).strip() for k, v in data.items() if k in known and str(v).strip()}
        return cls(**given)

    def as_mapping(self) -> dict[str, str]:
        """The profile as stored settings."""
        return asdict(self)


CONFIG_KEYS: dict[str, str] = {
    "county": "县名（文书、台账和月通报的抬头）",
    "office": "发文机关名称",
    "number_prefix": "文号前缀（如“X信”）",
    "seal": "印章位置的占位文字",
}
"""The settings of `xinfang config`, each with what it is for."""

ABBREVIATION: dict[DocumentKind, str] = {
    K.ACCEPTANCE_NOTICE: "受告",
    K.NOT_ACCEPTED_NOTICE: "不受告",
    K.EXTENSION_NOTICE: "延告",
    K.RESPONSE: "处意",
    K.REVIEW_DECISION: "复查",
    K.RECHECK_DECISION: "复核",
    K.TRANSFER_SLIP: "转交",
}
"""The kinds that are numbered, and the word of their 文号. The delivery receipt (送达回证) is
not numbered: it names the number of the document it delivers."""

NUMBERED = frozenset(ABBREVIATION)


def document_number(prefix: str, kind: DocumentKind, year: int, serial: int) -> str:
    """The 文号 of the `serial`th document of `kind` issued in `year`: X信受告〔2026〕12号."""
    return f"{prefix}{ABBREVIATION[kind]}〔{year}〕{serial}号"


def sequence_name(kind: DocumentKind, year: int) -> str:
    """The name of the log whose entries number the documents of `kind` in `year`."""
    return f"documents:{kind.value}:{year}"


@dataclass(frozen=True)
class IssuedDocument:
    """A document of the case as issued: its kind, 文号, day and issuer."""

    kind: DocumentKind
    number: str
    issued_on: date
    issued_by: str
    basis: str = ""
    """What the document rests on (the response delivered on a day, the unit sent to…): a
    new basis (a second response after 重新办理, a slip to the next unit) is a new document."""


class DocumentStateError(TransitionError):
    """The case's state does not allow this document (409), said in words people read."""

    def __init__(self, kind: DocumentKind, message: str) -> None:
        DomainError.__init__(self, message)
        self.command = "issue_document"
        self.status = message
        self.kind = kind


def chinese_date(day: date) -> str:
    """A date as documents print it: 2026年11月20日."""
    return f"{day.year}年{day.month}月{day.day}日"


LEGAL_BASIS: dict[DocumentKind, str] = {
    K.ACCEPTANCE_NOTICE: "根据《信访工作条例》第二十三条的规定",
    K.NOT_ACCEPTED_NOTICE: "根据《信访工作条例》第二十二条、第二十三条和第三十一条的规定",
    K.EXTENSION_NOTICE: "根据《信访工作条例》第三十四条的规定",
    K.RESPONSE: "根据《信访工作条例》第三十二条、第三十四条的规定",
    K.REVIEW_DECISION: "根据《信访工作条例》第三十五条的规定",
    K.RECHECK_DECISION: "根据《信访工作条例》第三十六条的规定",
    K.TRANSFER_SLIP: "根据《信访工作条例》第二十二条的规定",
    K.DELIVERY_RECEIPT: "根据《信访工作条例》的规定",
}
"""The sentence that opens each document: the article of the 条例 it rests on."""

RIGHTS: dict[DocumentKind, str] = {
    K.ACCEPTANCE_NOTICE: (
        "本机关将自受理之日起60日内办结；情况复杂的，经批准可以适当延长办理期限，"
        "但延长期限不得超过30日，并将告知延期理由。"
    ),
    K.NOT_ACCEPTED_NOTICE: (
        "对不予受理决定有异议的，可以自收到本告知书之日起依法通过相应途径提出；"
        "属于其他法定途径解决的事项，请依照有关法律、行政法规规定的程序向有关机关提出。"
    ),
    K.EXTENSION_NOTICE: "延长期限届满前，本机关将出具处理意见并送达。",
    K.RESPONSE: (
        "信访人对本处理意见不服的，可以自收到本意见书之日起30日内，请求原办理机关的上一级机关复查。"
    ),
    K.REVIEW_DECISION: (
        "信访人对本复查意见不服的，可以自收到本意见书之日起30日内，向复查机关的上一级机关请求复核。"
    ),
    K.RECHECK_DECISION: (
        "本复核意见为终结意见。信访人对复核意见不服，仍以同一事实和理由提出信访请求的，不再受理。"
    ),
    K.TRANSFER_SLIP: (
        "请自收到本单之日起15日内决定是否受理并书面告知信访人；"
        "认为不属于本单位职责范围的，请于5个工作日内提出异议并说明理由。"
    ),
    K.DELIVERY_RECEIPT: "受送达人拒绝签收的，送达人应当注明情况并签名。",
}
"""The rights notice (or duty) each document carries: 复查 and 复核 within 30 days of receipt."""
