"""Domain errors: one table in the API maps each to an HTTP status."""

from __future__ import annotations


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
    """The case's current status does not allow the command."""

    def __init__(self, command: str, status: str) -> None:
        super().__init__(f"command '{command}' is not allowed while the case is '{status}'")
        self.command = command
        self.status = status


class StaleVersionError(DomainError):
    """The client's If-Match version is not the case's current version."""

    def __init__(self, expected: int, actual: int) -> None:
        super().__init__(f"the case is at version {actual}, not {expected}: reload and retry")
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
            f"the stored record of aggregate {originator_id} at version {originator_version} "
            f"({topic}) failed its integrity check: it was altered, or moved or copied from "
            "another aggregate, version or topic, behind the application's back; "
            "run `xinfang verify`"
        )
        self.originator_id = originator_id
        self.originator_version = originator_version
        self.topic = topic
