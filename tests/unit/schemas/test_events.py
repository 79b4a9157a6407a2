"""The direct writers of the hottest messages equal what their schemas dump."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from domain.instruments import INSTRUMENTS
from schemas.events import (
    QUOTE,
    SUBSCRIBED,
    EnvelopeSchema,
    QuoteMessageSchema,
    message_body,
    quote_data,
)


@dataclass(frozen=True)
class Tick:
    symbol: str
    bid: Decimal
    ask: Decimal
    ts_event: int
    seq: int


prices = st.decimals(min_value=Decimal("0.00001"), max_value=Decimal(100_000), places=10)
ticks = st.builds(
    Tick,
    symbol=st.sampled_from(sorted(INSTRUMENTS)),
    bid=prices,
    ask=prices,
    ts_event=st.integers(0, 2**53),
    seq=st.integers(0, 2**63 - 1),
)


@given(ticks)
def test_quote_data_is_what_the_schema_dumps(tick: Tick) -> None:
    assert quote_data(tick) == QuoteMessageSchema().dump(tick)


@given(ticks, st.integers(0, 2**53))
def test_the_envelope_is_what_its_schema_dumps(tick: Tick, ts: int) -> None:
    for body in (message_body(QUOTE, tick, ts), message_body(SUBSCRIBED, {"symbols": []}, ts)):
        assert EnvelopeSchema().dump(body) == body
