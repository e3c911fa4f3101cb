"""Documents of a case (文书) as PDF: which the case's state allows, and one printed.

The case is read as the viewer may see it (404 for a user of an accused unit), the document is
composed and its printing logged by projections/disclosure.py; a numbered document printed for
the first time is issued first (the `documents` command: its 文号 is given once, by an event).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from api.context import actor, application
from api.paper import paper_pdf, pdf_response
from api.schemas import BINARY
from domain.application import Context
from domain.cases import Case
from domain.commands import IssueDocument
from domain.documents import NUMBERED, DocumentStateError
from domain.errors import RuleViolationError
from domain.labels import label
from domain.values import DocumentKind
from projections import disclosure

blp = Blueprint(
    "documents", __name__, url_prefix="/api/v1", description="Documents of a case (文书, PDF)"
)

KIND_PARAMETERS = [
    {
        "in": "path",
        "name": "kind",
        "schema": {"type": "string", "enum": [k.value for k in DocumentKind]},
    }
]


class DocumentSchema(Schema):
    """A document the case's state allows: its kind, title and 文号 once issued."""

    kind = fields.String(metadata={"enum": [k.value for k in DocumentKind]})
    title = fields.String()
    number = fields.String(allow_none=True, metadata={"description": "文号, once issued"})


class DocumentListSchema(Schema):
    """The documents of one case."""

    items = fields.List(fields.Nested(DocumentSchema))


def kind_of(value: str) -> DocumentKind:
    """The document kind of the path (422 naming `kind` for anything else)."""
    try:
        return DocumentKind(value)
    except ValueError:
        known = "、".join(k.value for k in DocumentKind)
        raise RuleViolationError("kind", f"没有这种文书：{value}（可选：{known}）") from None


def documents_of(case: Case) -> list[dict[str, Any]]:
    """The documents the case's state allows, each with its title and its 文号 once issued
    (`numbered`: it takes a 文号 when issued)."""
    items = []
    for kind in case.documents_allowed():
        issued = case.document(kind)
        items.append(
            {
                "kind": kind.value,
                "title": label(kind),
                "number": issued.number if issued is not None else None,
                "numbered": kind in NUMBERED,
            }
        )
    return items


def document_pdf(case_id: UUID, kind: str) -> Response:
    """One document of the case as the signed-in user may print it (the API's and the web
    page's): 404 for a case the user may not see, 409 if the case's state does not allow it;
    the first print of a numbered document issues it (its 文号, once, by the `documents`
    command); identity only for those who may see it; the print is logged."""
    app, viewer = application(), actor()
    wanted = kind_of(kind)
    case = app.get_case(viewer, case_id)
    refusal = case.document_refusal(wanted)
    if refusal is not None:
        raise DocumentStateError(wanted, refusal)
    if wanted in NUMBERED and case.document(wanted) is None:
        case = app.execute(IssueDocument(case_id=case_id, kind=wanted), Context(actor=viewer)).case
    paper = disclosure.document(app, viewer, case, wanted)
    name = f"{paper.title}-{case.number}" + (f"-{paper.number}" if paper.number else "")
    return pdf_response(paper_pdf(paper), f"{name}.pdf")


@blp.route("/cases/<uuid:case_id>/documents")
class CaseDocuments(MethodView):
    """The documents of a case."""

    @blp.response(200, DocumentListSchema)
    def get(self, case_id: UUID) -> dict[str, Any]:
        """The documents the case's state allows, each with its 文号 once issued."""
        return {"items": documents_of(application().get_case(actor(), case_id))}


@blp.route("/cases/<uuid:case_id>/documents/<kind>.pdf", parameters=KIND_PARAMETERS)
class CaseDocument(MethodView):
    """One document of a case, as PDF."""

    @blp.response(200, BINARY, content_type="application/pdf", description="文书 PDF")
    @blp.alt_response(409, response="CONFLICT", description="The case's state does not allow it")
    def get(self, case_id: UUID, kind: str) -> Response:
        """Print the document (A4, embedded font): the first print of a numbered document issues
        it (its 文号, once); a reprint carries the same number. Identity only for those who may
        see it; every print is logged."""
        return document_pdf(case_id, kind)
