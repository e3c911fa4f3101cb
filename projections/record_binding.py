"""Stored records bound to their place: AES-GCM with the aggregate id, version and topic as
associated data.

The library's AESCipher authenticates the ciphertext alone, so a database writer could copy an
encrypted event or snapshot to another aggregate, version or topic and the application would read
it there. `BoundMapper` (selected with MAPPER_TOPIC in `Settings.event_store_env`) encrypts every
event and snapshot with the instance key (CIPHER_KEY) and associated data naming its place, and
refuses on read, with `RecordIntegrityError`, a record whose place is not the one it was sealed
for. `RecordBinding` is the same check without decoding, for `xinfang verify`. The stored format
is documented in docs/audit.md ("Records bound to their place").
"""

from __future__ import annotations

import logging
import os
import struct
from collections.abc import Iterable
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.cryptography import AESCipher
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Cipher, Compressor, Mapper, StoredEvent, Transcoder

from domain.errors import RecordIntegrityError

logger = logging.getLogger(__name__)

RECORD_FORMAT = 1
"""First byte of every stored state: the version of this format."""

AAD_CONTEXT = b"xinfang-record/v1\x00"
"""Start of the associated data: keeps these ciphertexts apart from any other use of the key."""

NONCE_SIZE = 12
TAG_SIZE = 16
_PLACE = struct.Struct(">16sQ")  # aggregate id (16 bytes), version (unsigned 64-bit)
_BODY = 1 + NONCE_SIZE  # where the ciphertext starts
_SHORTEST = _BODY + TAG_SIZE

MAPPER_TOPIC = "projections.record_binding:BoundMapper"
"""MAPPER_TOPIC of the event store (events and snapshots share the application's mapper)."""


def associated_data(raw_id: bytes, version: int, topic: str) -> bytes:
    """The associated data of the record at a place: context, id bytes, version, topic (UTF-8)."""
    return AAD_CONTEXT + _PLACE.pack(raw_id, version) + topic.encode("utf-8")


def _raw_id(originator_id: UUID | str) -> bytes:
    if isinstance(originator_id, UUID):
        return originator_id.bytes
    return UUID(originator_id).bytes


class RecordBinding:
    """Seals and opens stored states for their place with one AES-GCM key."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)  # built once: the library's cipher builds one per call

    def seal(self, raw_id: bytes, version: int, topic: str, plain: bytes) -> bytes:
        """The stored state: format byte, random nonce, ciphertext and tag."""
        nonce = os.urandom(NONCE_SIZE)
        sealed = self._aead.encrypt(nonce, plain, associated_data(raw_id, version, topic))
        return bytes((RECORD_FORMAT,)) + nonce + sealed

    def open(self, raw_id: bytes, version: int, topic: str, state: bytes) -> bytes | None:
        """The plaintext, or None if the state was not sealed for this place (or was altered)."""
        if len(state) < _SHORTEST or state[0] != RECORD_FORMAT:
            return None
        try:
            return self._aead.decrypt(
                state[1:_BODY], state[_BODY:], associated_data(raw_id, version, topic)
            )
        except InvalidTag:
            return None

    def is_bound(self, raw_id: bytes, version: int, topic: str, state: bytes) -> bool:
        """Whether the state was sealed for this place and is unaltered."""
        return self.open(raw_id, version, topic, state) is not None

    def is_bound_topic(self, raw_id: bytes, version: int, topic: bytes, state: bytes) -> bool:
        """`is_bound` with the topic already encoded (UTF-8): the verifier's hot path."""
        if len(state) < _SHORTEST or state[0] != RECORD_FORMAT:
            return False
        try:
            self._aead.decrypt(
                state[1:_BODY], state[_BODY:], AAD_CONTEXT + _PLACE.pack(raw_id, version) + topic
            )
        except InvalidTag:
            return False
        return True

    def all_bound(self, records: Iterable[tuple[bytes, int, bytes, bytes]]) -> bool:
        """Whether every (raw id, version, UTF-8 topic, state) is sealed for its place: the
        verifier's workers, one loop with the names bound once."""
        decrypt, pack, context = self._aead.decrypt, _PLACE.pack, AAD_CONTEXT
        try:
            for raw_id, version, topic, state in records:
                if len(state) < _SHORTEST or state[0] != RECORD_FORMAT:
                    return False
                decrypt(state[1:_BODY], state[_BODY:], context + pack(raw_id, version) + topic)
        except InvalidTag:
            return False
        return True


class BoundMapper(Mapper[UUID]):
    """The library's mapper with each record's state sealed for its id, version and topic.

    Encoding and compression are the library's (the base class runs without a cipher); this
    class seals after compressing and opens before decompressing.
    """

    def __init__(
        self,
        transcoder: Transcoder,
        compressor: Compressor | None = None,
        cipher: Cipher | None = None,
    ) -> None:
        if not isinstance(cipher, AESCipher):
            msg = "BoundMapper needs CIPHER_TOPIC=eventsourcing.cryptography:AESCipher"
            raise TypeError(msg)
        super().__init__(transcoder, compressor=compressor, cipher=None)
        self.binding = RecordBinding(cipher.key)

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        """Encode and compress as the library does, then seal for the record's place."""
        stored = super().to_stored_event(domain_event)
        raw_id = _raw_id(stored.originator_id)
        return StoredEvent(
            originator_id=stored.originator_id,
            originator_version=stored.originator_version,
            topic=stored.topic,
            state=self.binding.seal(raw_id, stored.originator_version, stored.topic, stored.state),
        )

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        """Open the state for the place it is read from (else RecordIntegrityError), decode."""
        originator_id, version, topic = (
            stored_event.originator_id,
            stored_event.originator_version,
            stored_event.topic,
        )
        plain = self.binding.open(_raw_id(originator_id), version, topic, stored_event.state)
        if plain is None:
            error = RecordIntegrityError(originator_id, version, topic)
            logger.error("stored record refused: %s", error.message)
            raise error
        return super().to_domain_event(
            StoredEvent(
                originator_id=stored_event.originator_id,
                originator_version=stored_event.originator_version,
                topic=stored_event.topic,
                state=plain,
            )
        )
