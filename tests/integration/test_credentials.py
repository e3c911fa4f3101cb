"""Credentials a database writer cannot forge, and accounts from before keyed credentials.

A credential's id is an HMAC of its token under a key derived from the instance's cipher key.
Whoever can write the event store but not read the keys folder cannot compute the id of a token
of their choosing, so a supervisor's credential row copied under any id they can compute signs
nobody in; copied over a credential of their own, it names a token that is not the one the
user was issued with that credential.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from domain.directory import SYSTEM_ACTOR, Credential, User
from domain.errors import UNKNOWN_TOKEN, AuthenticationError
from domain.values import Role
from projections.bootstrap import Services, bootstrap
from projections.record_binding import BoundMapper
from projections.settings import Settings
from tests.conftest import County
from tests.integration.test_audit_tampering import Tamperer

CREDENTIAL_TOPIC = get_topic(Credential.Created)
CHOSEN = "a-token-the-attacker-made-up"


def legacy_id(token: str) -> UUID:
    """How a credential's id was derived before it was keyed: from the token's hash alone."""
    digest = hashlib.sha256(token.encode()).hexdigest()
    return uuid5(NAMESPACE_URL, f"xinfang:credential:{digest}")


def guessed_ids(token: str) -> list[UUID]:
    """Every id an attacker without the keys folder might try for a token of their choosing."""
    unkeyed = hmac.new(b"", token.encode(), hashlib.sha256).hexdigest()
    return [
        legacy_id(token),
        uuid5(NAMESPACE_URL, f"xinfang:credential-key:{unkeyed}"),
        Credential.id_for(hashlib.sha256(token.encode()).digest(), token),
    ]


def credential_rows(services: Services, db: Tamperer) -> dict[UUID, tuple[Any, bytes]]:
    """Each credential row by the user it names: (stored originator id, state)."""
    found = {}
    rows = db.rows(
        "SELECT originator_id, originator_version, topic, state FROM {events} WHERE topic = ?",
        [CREDENTIAL_TOPIC],
    )
    for originator_id, version, topic, state in rows:
        stored = StoredEvent(UUID(str(originator_id)), version, topic, bytes(state))
        event = services.app.mapper.to_domain_event(stored)
        assert isinstance(event, Credential.Created)
        found[event.user_id] = (originator_id, bytes(state))
    return found


def signs_in(settings: Settings, token: str) -> bool:
    """Whether a fresh process (nothing cached) lets the token in."""
    fresh = bootstrap(settings)
    try:
        fresh.app.authenticate(token)
    except AuthenticationError:
        return False
    finally:
        fresh.close()
    return True


def test_a_credential_row_copied_under_an_id_of_a_chosen_token_signs_nobody_in(
    services: Services, settings: Settings, county: County
) -> None:
    db = Tamperer(settings)
    supervisor = county.actors["supervisor"].id
    _, state = credential_rows(services, db)[supervisor]

    for forged in guessed_ids(CHOSEN):
        db.run(
            (
                "INSERT INTO {events} (originator_id, originator_version, topic, state) "
                "VALUES (?, 1, ?, ?)",
                (db.aggregate_id(forged), CREDENTIAL_TOPIC, state),
            )
        )

    assert not signs_in(settings, CHOSEN)
    assert signs_in(settings, county.tokens["supervisor"])


def test_a_supervisor_credential_copied_over_ones_own_does_not_sign_in_as_the_supervisor(
    services: Services, settings: Settings, county: County
) -> None:
    db = Tamperer(settings)
    rows = credential_rows(services, db)
    clerk_id, _ = rows[county.actors["clerk"].id]
    _, supervisor_state = rows[county.actors["supervisor"].id]

    db.run(
        (
            "UPDATE {events} SET state = ? WHERE originator_id = ? AND topic = ?",
            (supervisor_state, clerk_id, CREDENTIAL_TOPIC),
        )
    )

    fresh = bootstrap(settings)
    try:
        with pytest.raises(AuthenticationError, match=UNKNOWN_TOKEN):
            fresh.app.authenticate(county.tokens["clerk"])
        assert fresh.app.authenticate(county.tokens["supervisor"]).role is Role.SUPERVISOR
    finally:
        fresh.close()


def test_the_credential_key_is_the_instances_and_not_derivable_from_the_token(
    settings: Settings, county: County, services: Services
) -> None:
    key = settings.credential_key()
    token = county.tokens["clerk"]
    user = services.app.get_user(county.actors["clerk"].id)
    (issued,) = user.tokens.values()

    assert issued.credential_id == Credential.id_for(key, token)
    assert issued.credential_id not in guessed_ids(token)
    assert len(key) == 32
    assert key not in settings.key_path("keys/cipher.key").read_bytes()


# -- accounts made before keyed credentials --------------------------------------------------
def legacy_event(
    services: Services, event_class: type[Any], aggregate_id: UUID, version: int, **state: Any
) -> StoredEvent:
    """A stored event as version 1 of its class wrote it (no class_version in its state)."""
    mapper = services.app.mapper
    assert isinstance(mapper, BoundMapper)
    data = mapper.transcoder.encode({"timestamp": services.app.clock(), **state})
    assert mapper.compressor is not None
    topic = get_topic(event_class)
    sealed = mapper.binding.seal(
        aggregate_id.bytes, version, topic, mapper.compressor.compress(data)
    )
    return StoredEvent(aggregate_id, version, topic, sealed)


def test_a_user_from_before_keyed_credentials_loads_and_their_old_tokens_are_refused(
    services: Services, settings: Settings
) -> None:
    app = services.app
    user_id = uuid5(NAMESPACE_URL, "xinfang:test:legacy-user")
    old_token, later_token = "an-old-token", "a-later-old-token"
    hashes = [hashlib.sha256(t.encode()).hexdigest() for t in (old_token, later_token)]
    now = app.clock()
    actor = {"actor": SYSTEM_ACTOR, "occurred_at": now}
    app.recorder.insert_events(
        [
            legacy_event(
                services,
                User.Created,
                user_id,
                1,
                name="老用户",
                role=Role.CLERK,
                unit_id=None,
                token_hash=hashes[0],
                originator_topic=get_topic(User),
                **actor,
            ),
            legacy_event(services, User.TokenIssued, user_id, 2, token_hash=hashes[1], **actor),
            legacy_event(
                services,
                Credential.Created,
                legacy_id(old_token),
                1,
                user_id=user_id,
                originator_topic=get_topic(Credential),
            ),
        ]
    )

    user = app.get_user(user_id)
    (token,) = user.tokens.values()

    assert (user.name, user.role, user.active) == ("老用户", Role.CLERK, True)
    assert token.state(now + timedelta(seconds=1)) == "expired"
    assert not signs_in(settings, old_token)
    assert not signs_in(settings, later_token)
    issued = app.issue_token(SYSTEM_ACTOR, user_id)
    assert signs_in(settings, issued.token)
