"""The envelope every public event travels in (ARCHITECTURE.md §4).

The JSON value of a Kafka record is the whole envelope; its scalar fields are mirrored in the record
headers so that routers, the DLQ and the analytics projector can look at a record without parsing
the payload. The record key is the aggregate id, so one aggregate's events stay in order on one
partition.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Annotated, Any, Self
from uuid import UUID

import orjson
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "EVENT_TYPE_PATTERN",
    "HEADER_FIELDS",
    "Envelope",
    "EnvelopeHeaderMismatchError",
]

EVENT_TYPE_PATTERN = r"^[a-z][a-z0-9]*\.[a-z][a-z0-9_]*$"
"""``<service>.<event_name>``: a stable wire name, never derived from a Python path."""

HEADER_FIELDS: tuple[str, ...] = (
    "event_id",
    "event_type",
    "event_version",
    "tenant_id",
    "aggregate_id",
    "aggregate_version",
    "occurred_at",
    "correlation_id",
    "causation_id",
    "producer",
    "traceparent",
)
"""The envelope fields mirrored in Kafka headers (every field but the payload), same names."""


class EnvelopeHeaderMismatchError(ValueError):
    """A Kafka header disagrees with the same field in the record value."""

    code = "envelope_header_mismatch"


class Envelope(BaseModel):
    """One public event on the bus: metadata plus the event's payload (a JSON object)."""

    # Consumers ignore unknown fields: a newer producer may add envelope fields.
    model_config = ConfigDict(extra="ignore", frozen=True)

    event_id: UUID = Field(description="Unique per event; consumers deduplicate on it")
    event_type: Annotated[str, Field(pattern=EVENT_TYPE_PATTERN)] = Field(
        description="Stable wire name, e.g. orders.order_placed"
    )
    event_version: int = Field(ge=1, description="Version of the payload contract")
    tenant_id: UUID
    aggregate_id: UUID = Field(description="Also the Kafka record key")
    aggregate_version: int = Field(
        ge=0,
        description="Version of the aggregate after this event; 0 for events not produced by an "
        "aggregate (clickstream)",
    )
    occurred_at: AwareDatetime = Field(description="When it happened, UTC")
    correlation_id: str | None = Field(
        default=None, description="Shared by every event of one business flow (e.g. a checkout)"
    )
    causation_id: str | None = Field(
        default=None, description="The event_id (or request id) that caused this event"
    )
    producer: Annotated[str, Field(min_length=1)] = Field(
        description="Service that published the event, e.g. orders"
    )
    traceparent: str | None = Field(default=None, description="W3C trace context")
    payload: dict[str, Any] = Field(description="The event, as described by its JSON Schema")

    @field_validator("occurred_at")
    @classmethod
    def _to_utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    # -- JSON --------------------------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """The Kafka record value: the whole envelope as JSON."""
        return orjson.dumps(self.model_dump(mode="json"))

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview | str) -> Self:
        return cls.model_validate(orjson.loads(data))

    # -- Kafka -------------------------------------------------------------------------------------

    def kafka_key(self) -> bytes:
        """The record key: the aggregate id, so an aggregate's events keep their order."""
        return str(self.aggregate_id).encode()

    def kafka_headers(self) -> list[tuple[str, bytes]]:
        """The scalar envelope fields as Kafka headers (UTF-8 text; absent when None)."""
        dumped = self.model_dump(mode="json", include=set(HEADER_FIELDS))
        return [
            (name, str(dumped[name]).encode())
            for name in HEADER_FIELDS
            if dumped.get(name) is not None
        ]

    @classmethod
    def from_kafka(
        cls,
        value: bytes | bytearray | memoryview | str,
        headers: Iterable[tuple[str, bytes | None]] | None = None,
    ) -> Self:
        """Rebuild the envelope from a Kafka record.

        The value is authoritative. A header fills a field the value lacks; a header that
        contradicts the value raises :class:`EnvelopeHeaderMismatchError` (a record that says two
        different things belongs in the DLQ, not in a read model). Unknown headers are ignored.
        """
        body = orjson.loads(value)
        if not isinstance(body, dict):
            raise ValueError("a Kafka record value must be a JSON object (an envelope)")
        from_headers = {
            name: raw.decode()
            for name, raw in headers or ()
            if name in HEADER_FIELDS and raw is not None
        }
        envelope = cls.model_validate({**from_headers, **body})
        if from_headers:
            canonical = {name: raw.decode() for name, raw in envelope.kafka_headers()}
            differing = [n for n in from_headers if canonical.get(n) != from_headers[n]]
            if differing:
                # Slow path, rare: a header may be a different spelling of the same value
                # (e.g. an upper-case UUID); compare parsed values before calling it a mismatch.
                check = cls.model_validate({**body, **from_headers})
                mismatched = [n for n in differing if getattr(check, n) != getattr(envelope, n)]
                if mismatched:
                    raise EnvelopeHeaderMismatchError(
                        "Kafka headers disagree with the record value on: " + ", ".join(mismatched)
                    )
        return envelope
