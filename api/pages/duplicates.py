"""The 同人同事 check of the intake form: earlier cases of the same petitioner, similar subjects.

It reads the ledger as the clerk may (projections/ledger.py: only the cases the clerk may know
exist, each row disclosed by projections/disclosure.py and its identity disclosure logged as the
API's `POST /petitioners/search` logs it), so the check tells a clerk nothing the ledger would not
show them. Same person: the ledger's identity index (ID number, phone, name, each compared in the
normalised form of domain/identity.py). Same matter: subjects compared with rapidfuzz over the
most recent cases the clerk may see. A same-person case that ended in 复核终结 is flagged: under
第三十六条 a request on the same facts and reasons after a recheck is not accepted again.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from rapidfuzz import fuzz, process

from domain.access import READ_CASE
from domain.application import Xinfang
from domain.identity import IDENTITY_KINDS
from domain.values import Actor, Petitioner, Status
from projections import disclosure
from projections.ledger import Ledger, LedgerQuery

RECENT = 500
"""How many of the latest cases the subject is compared with."""
SIMILAR = 70.0
"""The least rapidfuzz score (0-100) of two subjects that are shown as the same matter."""
SHOWN = 10
KIND_LABEL = {"id_number": "身份证号相同", "phone": "联系电话相同", "name": "姓名相同"}
PUNCTUATION = re.compile(r"[\W_]+", re.UNICODE)


@dataclass
class Match:
    """An earlier case and why it is listed."""

    row: dict[str, Any]
    why: list[str] = field(default_factory=list)
    score: float | None = None


@dataclass
class Duplicates:
    """What the check found."""

    matches: list[Match]
    terminated: list[Match]
    """Same-person cases that ended in 复核终结 (第三十六条)."""

    @property
    def found(self) -> bool:
        """Whether anything was found."""
        return bool(self.matches)


def comparable(subject: str) -> str:
    """A subject as compared: full-width folded, without spaces and punctuation."""
    return PUNCTUATION.sub("", unicodedata.normalize("NFKC", subject)).lower()


def similarity(one: str, other: str) -> float:
    """How alike two subjects read (0-100): the better of the whole and the best partial match
    (a short subject inside a longer one), on characters (Chinese has no spaces)."""
    a, b = comparable(one), comparable(other)
    if not a or not b:
        return 0.0
    return float(max(fuzz.ratio(a, b), fuzz.partial_ratio(a, b) if min(len(a), len(b)) >= 4 else 0))


def check(
    app: Xinfang,
    ledger: Ledger,
    viewer: Actor,
    *,
    petitioners: Sequence[Petitioner],
    subject: str,
    today: date,
) -> Duplicates:
    """Earlier cases of the same petitioners or on a similar subject, as `viewer` may see them."""
    found: dict[UUID, Match] = {}
    for person in petitioners:
        for kind in IDENTITY_KINDS:
            value = getattr(person, kind)
            if not value:
                continue
            for row in ledger.same_person(viewer, {kind: value}, today):
                match = found.setdefault(row["case_id"], Match(row))
                reason = KIND_LABEL[kind]
                if reason not in match.why:
                    match.why.append(reason)
    if subject.strip():
        recent, _ = ledger.search(viewer, LedgerQuery(page_size=RECENT, sort="-received_on"), today)
        by_id = {row["case_id"]: row for row in recent}
        scored = process.extract(
            subject,
            {case_id: row["subject"] for case_id, row in by_id.items()},
            scorer=lambda a, b, **_: similarity(a, b),
            score_cutoff=SIMILAR,
            limit=SHOWN,
        )
        for _subject, score, case_id in scored:
            match = found.setdefault(case_id, Match(by_id[case_id]))
            match.score = round(float(score))
            match.why.append(f"事由相似（{match.score}%）")
    matches = sorted(
        found.values(),
        key=lambda m: (-len(m.why), -(m.score or 0), m.row["number"]),
    )[: SHOWN * 2]
    disclosure.record_rows(app, viewer, [m.row for m in matches], READ_CASE)
    terminated = [
        m
        for m in matches
        if m.row["status"] == Status.TERMINATED.value and any("相同" in w for w in m.why)
    ]
    return Duplicates(matches=matches, terminated=terminated)
