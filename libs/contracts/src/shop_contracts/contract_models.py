"""Base classes and field types for contract event payloads.

Producers are strict: a payload model forbids fields it does not declare, so a typo in a producer
fails in its own tests instead of on the wire. Consumers are lenient: :meth:`Registry.decode`
validates with ``extra="ignore"`` (applied to nested models too), so an older consumer accepts a
payload from a newer producer that added optional fields.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ContractEvent", "ContractValue", "NonNegativeInt", "Quantity"]

Quantity = Annotated[int, Field(gt=0, description="A number of units, at least 1")]
NonNegativeInt = Annotated[int, Field(ge=0)]


class ContractValue(BaseModel):
    """A value nested in a contract event (an order line, an address)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ContractEvent(BaseModel):
    """The payload of a public event. Subclasses are registered with ``@contract(...)``.

    The docstring of a subclass says what happened and who publishes it; it becomes the description
    of the event's JSON Schema and AsyncAPI message.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
