"""Directory endpoints: units, users, the caller."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask.views import MethodView
from flask_smorest import Blueprint

from api.context import actor, application, services
from api.schemas import (
    AccountChangeSchema,
    AccountSchema,
    HealthSchema,
    RevokeQuerySchema,
    RoleChangeSchema,
    TokenIssuedSchema,
    TokenRequestSchema,
    TokenSchema,
    UnitCreateSchema,
    UnitSchema,
    UserCreatedSchema,
    UserCreateSchema,
    UserSchema,
)
from domain.directory import Token, Unit, User

blp = Blueprint("directory", __name__, url_prefix="/api/v1", description="Units and users")
meta = Blueprint("meta", __name__, url_prefix="/api/v1", description="Service status")


def unit_view(unit: Unit) -> dict[str, Any]:
    """A unit as the API shows it."""
    return {"id": unit.id, "name": unit.name, "kind": unit.kind, "parent_id": unit.parent_id}


def user_view(user: User) -> dict[str, Any]:
    """A user as the API shows it."""
    return {"id": user.id, "name": user.name, "role": user.role, "unit_id": user.unit_id}


def account_view(user: User) -> dict[str, Any]:
    """A user as an account (after a change to it)."""
    return {**user_view(user), "active": user.active}


def token_view(token: Token) -> dict[str, Any]:
    """A token as listed: never its secret."""
    return {
        "token_id": token.id,
        "state": token.state(application().clock()),
        "issued_at": token.issued_at,
        "issued_by": token.issued_by,
        "expires_at": token.expires_at,
        "revoked_at": token.revoked_at,
    }


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


@blp.route("/users/<uuid:user_id>/disable")
class DisableUser(MethodView):
    """Stop a user from signing in."""

    @blp.arguments(AccountChangeSchema)
    @blp.response(200, AccountSchema)
    def post(self, body: dict[str, Any], user_id: UUID) -> dict[str, Any]:
        """Disable a user (admin): none of their tokens signs in from the next request on."""
        user = application().disable_user(actor(), user_id, reason=body["reason"])
        return account_view(user)


@blp.route("/users/<uuid:user_id>/enable")
class EnableUser(MethodView):
    """Let a disabled user sign in again."""

    @blp.arguments(AccountChangeSchema)
    @blp.response(200, AccountSchema)
    def post(self, body: dict[str, Any], user_id: UUID) -> dict[str, Any]:
        """Enable a disabled user (admin); their unexpired, unrevoked tokens sign in again."""
        user = application().enable_user(actor(), user_id, reason=body["reason"])
        return account_view(user)


@blp.route("/users/<uuid:user_id>/role")
class UserRole(MethodView):
    """A user's role and unit."""

    @blp.arguments(RoleChangeSchema)
    @blp.response(200, AccountSchema)
    def post(self, body: dict[str, Any], user_id: UUID) -> dict[str, Any]:
        """Change a user's role and unit (admin), effective from their next request."""
        user = application().change_role(actor(), user_id, **body)
        return account_view(user)


@blp.route("/users/<uuid:user_id>/tokens")
class UserTokens(MethodView):
    """A user's API tokens."""

    @blp.response(200, TokenSchema(many=True))
    def get(self, user_id: UUID) -> list[dict[str, Any]]:
        """List a user's tokens, oldest first, without their secrets (admin)."""
        return [token_view(t) for t in application().tokens(actor(), user_id)]

    @blp.arguments(TokenRequestSchema)
    @blp.response(201, TokenIssuedSchema)
    def post(self, body: dict[str, Any], user_id: UUID) -> dict[str, Any]:
        """Issue a user a further token (admin); the token is shown only in this answer."""
        issued = application().issue_token(actor(), user_id, **body)
        return {"token_id": issued.token_id, "token": issued.token, "expires_at": issued.expires_at}


@blp.route("/users/<uuid:user_id>/tokens/<uuid:token_id>")
class UserToken(MethodView):
    """One API token."""

    @blp.arguments(RevokeQuerySchema, location="query")
    @blp.response(204)
    def delete(self, query: dict[str, Any], user_id: UUID, token_id: UUID) -> None:
        """Revoke a token (admin): it no longer signs in from the next request on."""
        application().revoke_token(actor(), user_id, token_id, reason=query["reason"])


@blp.route("/me")
class Me(MethodView):
    """The caller."""

    @blp.response(200, UserSchema)
    def get(self) -> dict[str, Any]:
        """Who am I?"""
        me = actor()
        return {"id": me.id, "name": me.name, "role": me.role, "unit_id": me.unit_id}
