"""Directory endpoints: units, users, the caller."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from api.context import actor, application, services
from api.schemas import (
    HealthSchema,
    UnitCreateSchema,
    UnitSchema,
    UserCreatedSchema,
    UserCreateSchema,
    UserSchema,
)
from domain.directory import Unit, User

blp = Blueprint("directory", __name__, url_prefix="/api/v1", description="Units and users")
meta = Blueprint("meta", __name__, url_prefix="/api/v1", description="Service status")


def unit_view(unit: Unit) -> dict[str, Any]:
    """A unit as the API shows it."""
    return {"id": unit.id, "name": unit.name, "kind": unit.kind, "parent_id": unit.parent_id}


def user_view(user: User) -> dict[str, Any]:
    """A user as the API shows it."""
    return {"id": user.id, "name": user.name, "role": user.role, "unit_id": user.unit_id}


@meta.route("/health")
class Health(MethodView):
    """Liveness (no token needed)."""

    @meta.response(200, HealthSchema)
    @meta.doc(security=[])
    def get(self) -> dict[str, str]:
        """Is the service up?"""
        backend = "postgres" if services().settings.is_postgres else "sqlite"
        return {"status": "ok", "backend": backend}


@blp.route("/units")
class Units(MethodView):
    """Responsible units."""

    @blp.response(200, UnitSchema(many=True))
    def get(self) -> list[dict[str, Any]]:
        """List units."""
        return [unit_view(u) for u in application().units()]

    @blp.arguments(UnitCreateSchema)
    @blp.response(201, UnitSchema)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Add a unit (admin)."""
        return unit_view(application().add_unit(actor(), **body))


@blp.route("/users")
class Users(MethodView):
    """Users and their roles."""

    @blp.response(200, UserSchema(many=True))
    def get(self) -> list[dict[str, Any]]:
        """List users (admin, supervisor, auditor)."""
        return [user_view(u) for u in application().users(actor())]

    @blp.arguments(UserCreateSchema)
    @blp.response(201, UserCreatedSchema)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Add a user (admin); the token is shown only in this answer."""
        user, token = application().add_user(actor(), **body)
        return {**user_view(user), "token": token}


@blp.route("/me")
class Me(MethodView):
    """The caller."""

    @blp.response(200, UserSchema)
    def get(self) -> dict[str, Any]:
        """Who am I?"""
        me = actor()
        return {"id": me.id, "name": me.name, "role": me.role, "unit_id": me.unit_id}
