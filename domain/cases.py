"""The Case aggregate (信访事项): one class joining the phases of a case's life.

Each phase (domain/lifecycle/) declares its events and commands; the library re-declares every
event on Case, so stored topics read `domain.cases:Case.<Event>` whichever module holds the rule.
"""

from __future__ import annotations

from domain.lifecycle.activities import Activities
from domain.lifecycle.core import (
    CLOCK_SKEW,
    LOCAL_TZ,
    CaseCore,
    SupervisionOrder,
    local_date,
    make_stamp,
)
from domain.lifecycle.documents import Documents
from domain.lifecycle.handling import Handling
from domain.lifecycle.recusal import Recusal
from domain.lifecycle.review import Review
from domain.lifecycle.sorting import Sorting

__all__ = ["CLOCK_SKEW", "LOCAL_TZ", "Case", "SupervisionOrder", "local_date", "make_stamp"]


class Case(Sorting, Handling, Review, Activities, Recusal, Documents, CaseCore):
    """A petition matter from registration to closing; every change is an event."""

    def __init__(self) -> None:
        """State is set by the creation event's apply()."""
