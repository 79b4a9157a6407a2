"""The market-data feed: Alltick (or the simulator) -> the quote store in Redis + the quote channel.

An orchestrator of the vendor client (marketdata.alltick) and the quote store; it runs as a
bootstep of the feed worker (tasks.bootsteps).

Policy:
- Leadership: one feed per vendor connection. A feed runs its stream only while it holds the Redis
  lock `feed:leader` (SET NX with a TTL, renewed every third of the TTL by the holder, compared
  by owner id so a feed never renews or releases another's lock). A standby feed retries.
- Each depth push with a best bid and ask becomes a RawQuote; the quote (HSET) and its
  publication (PUBLISH) go in ONE pipelined round trip; every BEAT_INTERVAL_S that pipeline also
  carries the heartbeat key (SET with TTL) and the tick counter. A push for a code outside our
  catalogue is ignored.
- Spike filter (domain.spikes): a tick whose mid moves more than SPIKE_LIMIT_FX (2%) or
  SPIKE_LIMIT_METAL (5%) from the last accepted one is held, not stored, until
  SPIKE_CONFIRMATIONS (2) following ticks agree with it; a held tick is logged, and dropped when
  the price comes back.
- Counters: `feed:stats` (hash) holds ticks, reconnects and drops (the stream's own counters are
  copied there every few seconds); `feed:heartbeat` exists while ticks arrive.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

import redis

from domain.errors import UnknownSymbol
from domain.instruments import INSTRUMENTS, AssetClass, Instrument, by_vendor_code
from domain.spikes import SpikeState, Verdict, screen
from marketdata.alltick.models import DepthTick
from marketdata.alltick.ws_client import AlltickStream, StreamSettings
from services.quotes import QuoteStore, RawQuote
from services.realtime import Channels

log = logging.getLogger(__name__)

LEADER_KEY = "feed:leader"
HEARTBEAT_KEY = "feed:heartbeat"
STATS_KEY = "feed:stats"
HEARTBEAT_TTL_S = 15
BEAT_INTERVAL_S = 0.25
LEADER_TTL_MS = 15_000

RENEW_SCRIPT = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
RELEASE_SCRIPT = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


@dataclass(frozen=True)
class SpikeRules:
    """How far a tick may move from the last accepted mid (a fraction, per asset class) before
    it is held, and how many agreeing ticks confirm a held move (domain.spikes)."""

    limits: Mapping[AssetClass, Decimal] = field(
        default_factory=lambda: {AssetClass.FX: Decimal("0.02"), AssetClass.METAL: Decimal("0.05")}
    )
    confirmations: int = 2


class Feed:
    """Hold the leader lock, run the vendor stream, write every tick to Redis."""

    def __init__(
        self,
        client: redis.Redis,
        base_ws_url: str,
        token: str,
        channels: Channels,
        settings: StreamSettings | None = None,
        spikes: SpikeRules | None = None,
    ) -> None:
        self._redis = client
        self._channel = channels.quotes
        self._spikes = spikes or SpikeRules()
        self._spike_states: dict[str, SpikeState] = {}
        self._store = QuoteStore(client)
        self._owner = uuid.uuid4().hex
        self._stop = threading.Event()
        self._url, self._token, self._settings = base_ws_url, token, settings
        self._stream: AlltickStream | None = None
        self._ticks_stored = 0
        self._next_beat = 0.0
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Run the feed in a background thread."""
        self._thread = threading.Thread(target=self.run, name="feed", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the stream and release leadership."""
        self._stop.set()
        if self._stream is not None:
            self._stream.stop(timeout)
        if self._thread is not None:
            self._thread.join(timeout)
        self._redis.eval(RELEASE_SCRIPT, 1, LEADER_KEY, self._owner)

    def run(self) -> None:
        """Wait for leadership, then stream until stopped or leadership is lost."""
        while not self._stop.is_set():
            if self._acquire():
                log.info("event=feed_leader owner=%s", self._owner)
                self._lead()
            self._stop.wait(LEADER_TTL_MS / 3000)

    def _acquire(self) -> bool:
        return bool(self._redis.set(LEADER_KEY, self._owner, nx=True, px=LEADER_TTL_MS))

    def _lead(self) -> None:
        stream = AlltickStream(
            self._url, self._token, self.on_depth, settings=self._settings, on_alert=self._alert
        )
        self._stream = stream
        stream.subscribe_depth(sorted(i.vendor_code for i in INSTRUMENTS.values()))
        stream.start()
        try:
            while not self._stop.wait(LEADER_TTL_MS / 3000):
                if not self._redis.eval(RENEW_SCRIPT, 1, LEADER_KEY, self._owner, LEADER_TTL_MS):
                    log.error("event=feed_leadership_lost owner=%s", self._owner)
                    return
                counters: dict[str, int] = asdict(stream.counters())
                self._redis.hset(STATS_KEY, mapping=counters)  # type: ignore[arg-type]
        finally:
            stream.stop()

    def on_depth(self, tick: DepthTick) -> None:
        """Store and publish one depth push (called on the stream's reader thread)."""
        bid, ask = tick.best_bid, tick.best_ask
        if bid is None or ask is None:
            return
        try:
            instrument = by_vendor_code(tick.code)
        except UnknownSymbol:
            return
        symbol = instrument.symbol
        if not self._passes_spike_filter(instrument, (bid + ask) / 2):
            return
        quote = RawQuote(symbol, bid, ask, tick.tick_time, datetime.now(UTC), tick.seq)
        pipe = self._redis.pipeline(transaction=False)
        self._store.store_tick(quote, self._channel, pipe)
        self._ticks_stored += 1
        moment = time.monotonic()
        if moment >= self._next_beat:
            # The heartbeat and the counter ride along a few times a second, not on every tick.
            self._next_beat = moment + BEAT_INTERVAL_S
            pipe.set(HEARTBEAT_KEY, int(time.time() * 1000), ex=HEARTBEAT_TTL_S)
            pipe.hset(STATS_KEY, "ticks_stored", self._ticks_stored)
        pipe.execute()

    def _passes_spike_filter(self, instrument: Instrument, mid: Decimal) -> bool:
        """Screen a tick's mid (domain.spikes); log what is held, confirmed or dropped."""
        symbol, rules = instrument.symbol, self._spikes
        state = self._spike_states.get(symbol, SpikeState())
        limit = rules.limits[instrument.asset_class]
        after, verdict = screen(state, mid, limit, rules.confirmations)
        self._spike_states[symbol] = after
        if verdict is Verdict.HOLD:
            log.warning(
                "event=feed_spike_held symbol=%s mid=%s last_accepted=%s", symbol, mid,
                state.accepted,
            )  # fmt: skip
        elif verdict is not Verdict.ACCEPT:
            log.warning(
                "event=feed_spike_%s symbol=%s mid=%s held=%s", verdict.value, symbol, mid,
                state.held,
            )  # fmt: skip
        return verdict is not Verdict.HOLD

    def _alert(self, kind: str, detail: str) -> None:
        log.error("event=feed_alert kind=%s detail=%s", kind, detail)


def heartbeat_age_seconds(client: redis.Redis) -> float | None:
    """Return how old the feed's last tick is, or None when there is no heartbeat."""
    value = client.get(HEARTBEAT_KEY)
    if value is None:
        return None
    return max(time.time() - int(value) / 1000, 0.0)


def feed_from_config(config: dict[str, object]) -> Feed:
    """Build the feed from the app config: Alltick with ALLTICK_API_KEY, else the simulator."""
    client = redis.Redis.from_url(str(config["REDIS_URL"]), decode_responses=True)
    token = str(config["ALLTICK_API_KEY"] or config["SIMULATOR_TOKEN"])
    channels = Channels.with_prefix(str(config["REDIS_CHANNEL_PREFIX"]))
    spikes = SpikeRules(
        limits={
            AssetClass.FX: Decimal(str(config["SPIKE_LIMIT_FX"])),
            AssetClass.METAL: Decimal(str(config["SPIKE_LIMIT_METAL"])),
        },
        confirmations=int(str(config["SPIKE_CONFIRMATIONS"])),
    )
    return Feed(client, str(config["ALLTICK_BASE_WS"]), token, channels, spikes=spikes)
