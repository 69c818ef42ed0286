from __future__ import annotations

from decimal import Decimal

import orjson
import pytest
from pydantic import ValidationError
from shop_contracts.money import CurrencyMismatchError, Money


def test_float_amounts_are_refused() -> None:
    with pytest.raises(ValidationError, match="float"):
        Money(amount=19.9, currency="EUR")
    with pytest.raises(ValidationError, match="float"):
        Money.model_validate_json(b'{"amount": 19.9, "currency": "EUR"}')
    with pytest.raises(TypeError):
        Money.rounded(19.9, "EUR")  # type: ignore[arg-type]


def test_amount_is_a_string_in_json() -> None:
    wire = orjson.loads(Money.of("19.9", "EUR").model_dump_json())
    assert wire == {"amount": "19.90", "currency": "EUR"}
    assert Money.model_validate_json(orjson.dumps(wire)) == Money.of("19.90", "EUR")


def test_amount_is_quantized_to_the_minor_units_of_its_currency() -> None:
    assert Money.of(10, "USD").amount == Decimal("10.00")
    assert str(Money.of("10", "USD").amount) == "10.00"
    assert str(Money.of("1500", "JPY").amount) == "1500"
    assert str(Money.of("1.5", "KWD").amount) == "1.500"


def test_amount_that_would_lose_precision_is_refused_unless_rounded_explicitly() -> None:
    with pytest.raises(ValidationError, match="more decimals"):
        Money.of("10.005", "USD")
    with pytest.raises(ValidationError):
        Money.of("1.5", "JPY")
    assert Money.rounded("10.005", "USD") == Money.of("10.00", "USD")  # half even
    assert Money.rounded("10.015", "USD") == Money.of("10.02", "USD")


@pytest.mark.parametrize("currency", ["usd", "EURO", "", "U1D"])
def test_currency_must_be_an_iso_4217_code(currency: str) -> None:
    with pytest.raises(ValidationError):
        Money.of("1", currency)


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "abc"])
def test_amount_must_be_a_finite_number(amount: str) -> None:
    with pytest.raises(ValidationError):
        Money.of(amount, "EUR")


def test_arithmetic_within_one_currency() -> None:
    price = Money.of("19.90", "EUR")
    assert price + Money.of("0.10", "EUR") == Money.of("20.00", "EUR")
    assert price - Money.of("20", "EUR") == Money.of("-0.10", "EUR")
    assert price * 3 == Money.of("59.70", "EUR")
    assert 3 * price == Money.of("59.70", "EUR")
    assert Money.total([price, price], "EUR") == Money.of("39.80", "EUR")
    assert Money.total([], "EUR").is_zero
    assert Money.of("1", "EUR") < price


def test_mixing_currencies_raises() -> None:
    with pytest.raises(CurrencyMismatchError):
        _ = Money.of("1", "EUR") + Money.of("1", "USD")
    with pytest.raises(CurrencyMismatchError):
        _ = Money.of("1", "EUR") - Money.of("1", "USD")
    with pytest.raises(CurrencyMismatchError):
        _ = Money.of("1", "EUR") < Money.of("1", "USD")


def test_multiplication_only_by_whole_quantities() -> None:
    with pytest.raises(TypeError):
        _ = Money.of("1", "EUR") * 1.5  # type: ignore[operator]
    with pytest.raises(TypeError):
        _ = Money.of("1", "EUR") * Decimal("1.5")  # type: ignore[operator]


def test_money_is_immutable() -> None:
    price = Money.of("1", "EUR")
    with pytest.raises(ValidationError):
        price.amount = Decimal("2")  # type: ignore[misc]
