"""The quote store: the latest raw quote per symbol in Redis, and client prices from it.

Layout: one hash per symbol, `quote:{SYMBOL}` with fields `bid`, `ask` (raw vendor prices as
decimal strings), `ts_event` (vendor time, ms since the epoch), `received_at` (our receipt time,
ms) and `seq`. The feed writes a tick with HSET and PUBLISH in one pipeline (`store_tick`); the
trading core reads it. Redis may lose it all: the next tick rebuilds it, and until then the
symbol is not tradeable (PRICE_STALE), never traded on a guess.

Freshness is judged on `ts_event`, the market's own time for the price.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import redis

from domain.instruments import INSTRUMENTS, Instrument, get_instrument
from domain.pricing import client_prices
from services.realtime import QUOTES_CHANNEL, envelope

KEY_PREFIX = "quote:"


@dataclass(frozen=True)
class RawQuote:
    """A vendor quote as stored: raw bid/ask, the market's time and ours."""

    symbol: str
    bid: Decimal
    ask: Decimal
    ts_event: datetime
    received_at: datetime
    seq: int


@dataclass(frozen=True)
class ClientQuote:
    """What a client sees and trades on: the raw quote widened by the markup."""

    symbol: str
    bid: Decimal
    ask: Decimal
    ts_event: datetime

    @property
    def mid(self) -> Decimal:
        """Return the mid price (used for currency conversion)."""
        return (self.bid + self.ask) / 2


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _from_ms(value: str) -> datetime:
    return datetime.fromtimestamp(int(value) / 1000, tz=UTC)


def client_quote(instrument: Instrument, raw: RawQuote) -> ClientQuote:
    """Return the client quote of a raw quote."""
    bid, ask = client_prices(instrument, raw.bid, raw.ask)
    return ClientQuote(instrument.symbol, bid, ask, raw.ts_event)


class QuoteStore:
    """Reads and writes the latest quotes in Redis."""

    def __init__(self, client: redis.Redis) -> None:
        self._redis = client

    def store_tick(self, quote: RawQuote, pipe: redis.client.Pipeline | None = None) -> None:
        """Write the quote and publish it to the quote channel (one round trip when pipelined)."""
        own = pipe is None
        pipeline = self._redis.pipeline(transaction=False) if pipe is None else pipe
        pipeline.hset(
            KEY_PREFIX + quote.symbol,
            mapping={
                "bid": str(quote.bid),
                "ask": str(quote.ask),
                "ts_event": _ms(quote.ts_event),
                "received_at": _ms(quote.received_at),
                "seq": quote.seq,
            },
        )
        pipeline.publish(QUOTES_CHANNEL, tick_message(quote))
        if own:
            pipeline.execute()

    def get(self, symbol: str) -> RawQuote | None:
        """Return the latest raw quote of a symbol, or None."""
        return self.get_many([symbol]).get(symbol)

    def get_many(self, symbols: Iterable[str]) -> dict[str, RawQuote]:
        """Return the latest raw quotes of the symbols that have one, in one round trip."""
        wanted = list(symbols)
        pipe = self._redis.pipeline(transaction=False)
        for symbol in wanted:
            pipe.hgetall(KEY_PREFIX + symbol)
        found: dict[str, RawQuote] = {}
        for symbol, fields in zip(wanted, pipe.execute(), strict=True):
            if fields:
                found[symbol] = _parse(symbol, fields)
        return found

    def client_quotes(self, symbols: Iterable[str] | None = None) -> dict[str, ClientQuote]:
        """Return client quotes of the symbols (default: the whole catalogue) that have one."""
        raws = self.get_many(INSTRUMENTS if symbols is None else symbols)
        return {s: client_quote(get_instrument(s), raw) for s, raw in raws.items()}

    def rates(self) -> dict[str, Decimal]:
        """Return mid rates of every catalogue symbol with a quote (for currency conversion)."""
        return {symbol: quote.mid for symbol, quote in self.client_quotes().items()}


def _parse(symbol: str, fields: Mapping[str, str]) -> RawQuote:
    return RawQuote(
        symbol=symbol,
        bid=Decimal(fields["bid"]),
        ask=Decimal(fields["ask"]),
        ts_event=_from_ms(fields["ts_event"]),
        received_at=_from_ms(fields.get("received_at", fields["ts_event"])),
        seq=int(fields.get("seq", 0)),
    )


def tick_message(quote: RawQuote) -> str:
    """Serialise a tick for the quote channel: client prices, once, for every subscriber."""
    instrument = get_instrument(quote.symbol)
    client = client_quote(instrument, quote)
    data = {
        "symbol": quote.symbol,
        "bid": str(client.bid),
        "ask": str(client.ask),
        "ts_event": _ms(quote.ts_event),
        "seq": quote.seq,
    }
    return json.dumps(envelope("quote", data))
