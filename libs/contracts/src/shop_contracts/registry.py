"""The registry of public event types: wire name + version → payload model and topic.

Register a payload model with the decorator (the default registry is filled by importing
``shop_contracts``)::

    @contract("orders.order_placed", version=1, topic=ORDERS_EVENTS)
    class OrderPlaced(ContractEvent):
        ...

Producers wrap an event with :meth:`Registry.envelope_for`; consumers turn an envelope back into the
event with :meth:`Registry.decode`. Tests build their own ``Registry()`` for throwaway models.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID, uuid4

from shop_contracts.contract_models import ContractEvent
from shop_contracts.envelope import EVENT_TYPE_PATTERN, Envelope
from shop_contracts.topics import Topic

__all__ = [
    "ContractSpec",
    "DuplicateContractError",
    "Registry",
    "UnknownEventTypeError",
    "contract",
    "decode",
    "envelope_for",
    "registry",
]

_EVENT_TYPE_RE = re.compile(EVENT_TYPE_PATTERN)


class DuplicateContractError(ValueError):
    """The same (event type, version), or the same model class, registered twice."""

    code = "duplicate_contract"


class UnknownEventTypeError(KeyError):
    """No model is registered for an (event type, version), or a model is not registered."""

    code = "unknown_event_type"


@dataclass(frozen=True, slots=True)
class ContractSpec:
    """One registered public event: its wire name, payload version, topic and payload model."""

    event_type: str
    version: int
    topic: Topic
    model: type[ContractEvent]

    @property
    def key(self) -> tuple[str, int]:
        return (self.event_type, self.version)

    @property
    def schema_name(self) -> str:
        """Base name of the JSON Schema file, e.g. ``orders.order_placed.v1``."""
        return f"{self.event_type}.v{self.version}"

    @property
    def summary(self) -> str:
        """First paragraph of the model's docstring, on one line."""
        doc = (self.model.__doc__ or "").strip()
        return " ".join(doc.split("\n\n", 1)[0].split())


_E = type[ContractEvent]


class Registry:
    """Maps (event type, version) to a payload model and its topic."""

    def __init__(self) -> None:
        self._by_key: dict[tuple[str, int], ContractSpec] = {}
        self._by_model: dict[type[ContractEvent], ContractSpec] = {}

    # -- registration ------------------------------------------------------------------------------

    def register(
        self, event_type: str, version: int, topic: Topic, model: type[ContractEvent]
    ) -> ContractSpec:
        if not _EVENT_TYPE_RE.match(event_type):
            raise ValueError(f"event type {event_type!r} is not <service>.<snake_case_name>")
        if version < 1:
            raise ValueError("event versions start at 1")
        if topic.is_dlq:
            raise ValueError("events are registered on their topic, not on its DLQ")
        if event_type.split(".", 1)[0] != topic.service:
            # The wire name's prefix is the publishing service, and so is the topic's.
            raise ValueError(f"{event_type} cannot be published on {topic.name}")
        if not (isinstance(model, type) and issubclass(model, ContractEvent)):
            raise TypeError(f"{model!r} is not a ContractEvent subclass")
        key = (event_type, version)
        if key in self._by_key:
            existing = self._by_key[key].model
            raise DuplicateContractError(
                f"{event_type} v{version} is already registered to "
                f"{existing.__module__}.{existing.__qualname__}"
            )
        if model in self._by_model:
            raise DuplicateContractError(
                f"{model.__qualname__} is already registered as {self._by_model[model].schema_name}"
            )
        spec = ContractSpec(event_type=event_type, version=version, topic=topic, model=model)
        self._by_key[key] = spec
        self._by_model[model] = spec
        return spec

    def contract(self, event_type: str, *, version: int, topic: Topic) -> Callable[[_E], _E]:
        """Class decorator: register the decorated payload model."""

        def decorate(model: _E) -> _E:
            self.register(event_type, version, topic, model)
            return model

        return decorate

    # -- lookup ------------------------------------------------------------------------------------

    def find(self, event_type: str, version: int) -> ContractSpec | None:
        """The spec for (event type, version), or None: consumers skip types they do not know."""
        return self._by_key.get((event_type, version))

    def spec(self, event_type: str, version: int) -> ContractSpec:
        spec = self._by_key.get((event_type, version))
        if spec is None:
            raise UnknownEventTypeError(f"no contract registered for {event_type} v{version}")
        return spec

    def model_for(self, event_type: str, version: int) -> type[ContractEvent]:
        return self.spec(event_type, version).model

    def spec_for(self, model: type[ContractEvent] | ContractEvent) -> ContractSpec:
        cls = model if isinstance(model, type) else type(model)
        spec = self._by_model.get(cls)
        if spec is None:
            raise UnknownEventTypeError(f"{cls.__qualname__} is not a registered contract")
        return spec

    def all(self) -> list[ContractSpec]:
        """Every registered contract, sorted by (event type, version)."""
        return [self._by_key[key] for key in sorted(self._by_key)]

    def for_topic(self, topic: Topic) -> list[ContractSpec]:
        return [spec for spec in self.all() if spec.topic == topic]

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    def __len__(self) -> int:
        return len(self._by_key)

    # -- producing and consuming -------------------------------------------------------------------

    def envelope_for(
        self,
        event: ContractEvent,
        *,
        tenant_id: UUID,
        aggregate_id: UUID,
        aggregate_version: int,
        producer: str,
        correlation_id: str | UUID | None = None,
        causation_id: str | UUID | None = None,
        traceparent: str | None = None,
        event_id: UUID | None = None,
        occurred_at: datetime | None = None,
    ) -> Envelope:
        """Wrap ``event`` for the bus.

        A relay should pass a deterministic ``event_id`` (e.g. derived from the stored aggregate
        event) so that a re-sent batch carries the same ids and consumers can deduplicate it.
        Correlation and causation ids may be given as UUIDs (e.g. the causing event's id); they
        travel as strings.
        """
        spec = self.spec_for(event)
        return Envelope(
            event_id=event_id if event_id is not None else uuid4(),
            event_type=spec.event_type,
            event_version=spec.version,
            tenant_id=tenant_id,
            aggregate_id=aggregate_id,
            aggregate_version=aggregate_version,
            occurred_at=occurred_at if occurred_at is not None else datetime.now(UTC),
            correlation_id=None if correlation_id is None else str(correlation_id),
            causation_id=None if causation_id is None else str(causation_id),
            producer=producer,
            traceparent=traceparent,
            payload=event.model_dump(mode="json"),
        )

    def decode(self, envelope: Envelope) -> ContractEvent:
        """The payload of ``envelope`` as its contract model.

        Lenient, as consumers must be: fields the model does not know (added by a newer producer)
        are ignored, at every nesting level. Raises :class:`UnknownEventTypeError` for an
        unregistered (event type, version): check :meth:`find` first to skip those.
        """
        model = self.model_for(envelope.event_type, envelope.event_version)
        return model.model_validate(envelope.payload, extra="ignore")


registry = Registry()
"""The platform's registry; importing ``shop_contracts`` registers every public event in it."""

contract = registry.contract
envelope_for = registry.envelope_for
decode = registry.decode
