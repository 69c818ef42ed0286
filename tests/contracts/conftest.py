"""Example payloads for every registered contract, built from the models themselves.

The factory fills every field (optional ones too, so a round trip exercises them) from its type;
the few models whose validators tie fields together get hand-written values in ``_OVERRIDES``. A
new event whose constraints the factory cannot satisfy fails the round-trip test loudly: add an
override.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal, Union, get_args, get_origin
from uuid import UUID, uuid4

import pytest
from pydantic import AwareDatetime, BaseModel
from pydantic.fields import FieldInfo
from shop_contracts.events.orders import Address, OrderLine, OrderTotals
from shop_contracts.money import Money

CURRENCY = "EUR"

_PATTERN_SAMPLES = {
    r"^[A-Z]{3}$": CURRENCY,
    r"^[A-Z]{2}$": "DE",
}


def _money(amount: str) -> Money:
    return Money.of(amount, CURRENCY)


def _order_line() -> OrderLine:
    return OrderLine(
        sku_id=uuid4(),
        product_id=uuid4(),
        product_name="Linen shirt",
        quantity=2,
        unit_price=_money("19.90"),
        line_total=_money("39.80"),
    )


_OVERRIDES: dict[type[BaseModel], Callable[[], dict[str, Any]]] = {
    OrderLine: lambda: _order_line().model_dump(),
    OrderTotals: lambda: {
        "subtotal": _money("39.80"),
        "discount": _money("5.00"),
        "tax": _money("7.56"),
        "shipping": _money("4.90"),
        "total": _money("47.26"),
    },
}


def _sample(annotation: Any, info: FieldInfo | None = None) -> Any:
    origin = get_origin(annotation)
    if origin is typing.Annotated:
        return _sample(get_args(annotation)[0], info)
    if origin in (Union, types.UnionType):
        non_null = [arg for arg in get_args(annotation) if arg is not type(None)]
        return _sample(non_null[0], info)
    if origin is Literal:
        return get_args(annotation)[-1]
    if origin is list:
        (item,) = get_args(annotation)
        return [_sample(item)]
    if origin is dict:
        return {"color": "red"}
    if hasattr(annotation, "__supertype__"):  # NewType
        return _sample(annotation.__supertype__, info)
    if isinstance(annotation, type):
        if annotation is Money:
            return _money("12.50")
        if annotation is Address:
            return Address(
                name="Ada Lovelace",
                line1="1 Example Street",
                line2="Flat 2",
                city="Berlin",
                state="BE",
                postal_code="10115",
                country="DE",
                phone="+49 30 123456",
            )
        if issubclass(annotation, BaseModel):
            return build(annotation)
        if annotation is UUID:
            return uuid4()
        if annotation in (datetime, AwareDatetime):
            return datetime(2026, 1, 22, 10, 30, 15, 123000, tzinfo=UTC)
        if annotation is bool:
            return True
        if annotation is int:
            return 3
        if annotation is Decimal:
            return Decimal("1.50")
        if annotation is str:
            for meta in info.metadata if info is not None else ():
                pattern = getattr(meta, "pattern", None)
                if pattern in _PATTERN_SAMPLES:
                    return _PATTERN_SAMPLES[pattern]
            return "sample"
    raise NotImplementedError(f"no example value for {annotation!r}: add one to conftest.py")


def build(model: type[BaseModel]) -> Any:
    """A valid instance of ``model`` with every field set."""
    if model in _OVERRIDES:
        return model.model_validate(_OVERRIDES[model]())
    values = {}
    for name, field in model.model_fields.items():
        values[name] = _sample(field.annotation, field)
    return model.model_validate(values)


@pytest.fixture
def make_example() -> Callable[[type[BaseModel]], Any]:
    return build
