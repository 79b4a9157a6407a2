"""The quote store: the latest raw quote per symbol in Redis, and client prices from it.

Layout: one hash per symbol, `quote:{SYMBOL}` with fields `bid`, `ask` (raw vendor prices as
decimal strings), `ts_event` (vendor time, ms since the epoch), `received_at` (our receipt time,
ms) and `seq`. The feed writes a tick with HSET and PUBLISH in one pipeline (`store_tick`); the
trading core reads it. Redis may lose it all: the next tick rebuilds it, and until then the
symbol is not tradeable (PRICE_STALE), never traded on a guess.

Freshness is judged on `ts_event`, the market's own time for the price.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import redis

from domain.conversion import rate_symbols
from domain.errors import DomainError
from domain.instruments import INSTRUMENTS, Instrument, get_instrument
from domain.pricing import ClientQuote, client_prices, untradeable_reason
from schemas.events import QUOTE
from services.realtime import message

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

    def store_tick(
        self, quote: RawQuote, channel: str, pipe: redis.client.Pipeline | None = None
    ) -> None:
        """Write the quote and publish it on `channel` (one round trip when pipelined)."""
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
        pipeline.publish(channel, tick_message(quote))
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


@dataclass(frozen=True)
class Market:
    """Client quotes and conversion rates (mids) read at one moment."""

    quotes: dict[str, ClientQuote]
    rates: dict[str, Decimal]

    @classmethod
    def load(cls, store: QuoteStore, symbols: Iterable[str] | None = None) -> Market:
        """Read the quotes of the symbols (default: the whole catalogue) in one round trip."""
        quotes = store.client_quotes(symbols)
        return cls(quotes, {symbol: quote.mid for symbol, quote in quotes.items()})

    def bid_ask(self) -> dict[str, tuple[Decimal, Decimal]]:
        """Return symbol -> (bid, ask)."""
        return {symbol: (q.bid, q.ask) for symbol, q in self.quotes.items()}

    def estimated(self, held: Iterable[tuple[str, Decimal]]) -> tuple[Market, list[str]]:
        """Return the market with each held symbol that has no quote priced at its position's
        average price (bid = ask = average, so the position shows no PnL and its margin is
        converted at its entry), and the symbols estimated. An estimated quote carries the
        earliest time there is, so it is never tradeable: nothing is ever filled on it. This
        is what a stop out values an account with when Redis lost a symbol's quote."""
        missing = {symbol: avg for symbol, avg in held if symbol not in self.quotes}
        if not missing:
            return self, []
        never = datetime.min.replace(tzinfo=UTC)
        quotes = dict(self.quotes)
        rates = dict(self.rates)
        for symbol, avg in missing.items():
            quotes[symbol] = ClientQuote(symbol, avg, avg, never)
            rates.setdefault(symbol, avg)
        return Market(quotes, rates), sorted(missing)


def symbols_to_value(held: Iterable[str], account_currency: str) -> list[str]:
    """Return the catalogue symbols valuing positions in `held` needs: their own quotes and the
    conversion pairs of their quote and base currencies into the account currency."""
    wanted = dict.fromkeys(held)
    for symbol in list(wanted):
        instrument = get_instrument(symbol)
        for currency in (instrument.quote_currency, instrument.base_currency):
            wanted.update(dict.fromkeys(rate_symbols(currency, account_currency)))
    return [symbol for symbol in wanted if symbol in INSTRUMENTS]


def _parse(symbol: str, fields: Mapping[str, str]) -> RawQuote:
    return RawQuote(
        symbol=symbol,
        bid=Decimal(fields["bid"]),
        ask=Decimal(fields["ask"]),
        ts_event=_from_ms(fields["ts_event"]),
        received_at=_from_ms(fields.get("received_at", fields["ts_event"])),
        seq=int(fields.get("seq", 0)),
    )


@dataclass(frozen=True)
class Tick:
    """A tick as published: the client quote, the market's time in ms and the vendor's seq."""

    symbol: str
    bid: Decimal
    ask: Decimal
    ts_event: int
    seq: int


def tick_message(quote: RawQuote) -> str:
    """Serialise a tick for the quote channel: client prices, once, for every subscriber."""
    client = client_quote(get_instrument(quote.symbol), quote)
    tick = Tick(quote.symbol, client.bid, client.ask, _ms(quote.ts_event), quote.seq)
    return message(QUOTE, tick)


@dataclass(frozen=True)
class QuoteStatus:
    """A symbol's current client quote (None without one) and why it cannot be traded now."""

    instrument: Instrument
    quote: ClientQuote | None
    problem: DomainError | None

    @property
    def symbol(self) -> str:
        """Return the symbol."""
        return self.instrument.symbol

    @property
    def bid(self) -> Decimal | None:
        """Return the client bid, if there is a quote."""
        return None if self.quote is None else self.quote.bid

    @property
    def ask(self) -> Decimal | None:
        """Return the client ask, if there is a quote."""
        return None if self.quote is None else self.quote.ask

    @property
    def ts_event(self) -> datetime | None:
        """Return the market's time of the quote, if there is one."""
        return None if self.quote is None else self.quote.ts_event


def quote_statuses(
    store: QuoteStore, instruments: Sequence[Instrument], now: datetime, enforce_sessions: bool
) -> list[QuoteStatus]:
    """Return the quote and tradeability of each instrument now, reading Redis once."""
    raws = store.get_many(i.symbol for i in instruments)
    statuses = []
    for instrument in instruments:
        raw = raws.get(instrument.symbol)
        quote = client_quote(instrument, raw) if raw is not None else None
        ts_event = raw.ts_event if raw is not None else None
        problem = untradeable_reason(instrument, ts_event, now, enforce_sessions)
        statuses.append(QuoteStatus(instrument, quote, problem))
    return statuses
