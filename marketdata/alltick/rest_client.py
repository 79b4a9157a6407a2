"""A blocking Alltick REST client (requests) that stays inside the plan's rate limits by waiting.

Policy:
- Each endpoint is spaced by the plan's interval (`/batch-kline` by its own), client-side, before
  the call goes out; a 429/605 answer pushes that endpoint out by `rate_limit_penalty_s` and raises
  `RateLimitError` (we never retry in a loop: the caller decides).
- Every call has a (connect, read) timeout; a transport failure raises `TransportError`.
- HTTP status is checked first, then `ret` (see `rest_protocol.parse_rest_response`).
- Only the masked URL is logged.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import requests

from marketdata.alltick.errors import RateLimitError, TransportError
from marketdata.alltick.models import DepthTick, Kline, TradeTick
from marketdata.alltick.pacing import RateLimiter
from marketdata.alltick.plans import Plan, PlanLimits, limits_for
from marketdata.alltick.protocol import mask_token, new_trace
from marketdata.alltick.rest_protocol import (
    Endpoint,
    batch_kline_data,
    build_get_url,
    build_post,
    kline_data,
    parse_batch_klines,
    parse_depth_ticks,
    parse_kline_list,
    parse_rest_response,
    parse_trade_ticks,
    symbol_list_data,
)

log = logging.getLogger(__name__)


class AlltickRest:
    """Call the Alltick REST endpoints of one token and plan."""

    def __init__(
        self,
        base_rest_url: str,
        token: str,
        plan: Plan | str = Plan.BASIC,
        *,
        timeout: tuple[float, float] = (5.0, 10.0),
        rate_limit_penalty_s: float = 5.0,
        limits: PlanLimits | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._base = base_rest_url
        self._token = token
        self.limits: PlanLimits = limits or limits_for(plan)
        self._timeout = timeout
        self._penalty = rate_limit_penalty_s
        self._http = session or requests.Session()
        self._limiter = RateLimiter(sleep=sleep)

    def close(self) -> None:
        """Close the HTTP session."""
        self._http.close()

    def __enter__(self) -> AlltickRest:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def kline(self, code: str, kline_type: int, num: int, end: int = 0) -> tuple[Kline, ...]:
        """Return up to `num` candles of `code`, oldest first (`end` 0 = up to the latest)."""
        data = self._get(Endpoint.KLINE, kline_data(code, kline_type, num, end))
        return parse_kline_list(data)

    def batch_kline(
        self, codes: Iterable[str], kline_type: int, num: int = 1
    ) -> dict[str, tuple[Kline, ...]]:
        """Return the latest 1 or 2 candles of each code."""
        body = batch_kline_data((code, kline_type, num) for code in codes)
        return parse_batch_klines(self._post(Endpoint.BATCH_KLINE, body))

    def trade_tick(self, codes: Iterable[str]) -> tuple[TradeTick, ...]:
        """Return the latest trade of each code."""
        return parse_trade_ticks(self._get(Endpoint.TRADE_TICK, symbol_list_data(codes)))

    def depth_tick(self, codes: Iterable[str]) -> tuple[DepthTick, ...]:
        """Return the latest order book of each code."""
        return parse_depth_ticks(self._get(Endpoint.DEPTH_TICK, symbol_list_data(codes)))

    def _interval(self, endpoint: Endpoint) -> float:
        if endpoint is Endpoint.BATCH_KLINE:
            return self.limits.batch_kline_interval_s
        return self.limits.rest_interval_s

    def _get(self, endpoint: Endpoint, data: Mapping[str, Any]) -> Mapping[str, Any]:
        url = build_get_url(self._base, endpoint, self._token, new_trace(), data)
        return self._call(endpoint, "GET", url, None)

    def _post(self, endpoint: Endpoint, data: Mapping[str, Any]) -> Mapping[str, Any]:
        url, body = build_post(self._base, endpoint, self._token, new_trace(), data)
        return self._call(endpoint, "POST", url, body)

    def _call(
        self, endpoint: Endpoint, method: str, url: str, body: str | None
    ) -> Mapping[str, Any]:
        waited = self._limiter.acquire(endpoint, self._interval(endpoint))
        masked = mask_token(url)
        headers = {"Content-Type": "application/json"} if body is not None else None
        try:
            response = self._http.request(
                method, url, data=body, headers=headers, timeout=self._timeout
            )
        except requests.RequestException as exc:
            log.warning("alltick_rest_failed endpoint=%s error=%s", endpoint, type(exc).__name__)
            raise TransportError(f"{method} {masked}: {type(exc).__name__}") from exc
        log.info(
            "alltick_rest endpoint=%s status=%s waited_s=%.3f url=%s",
            endpoint,
            response.status_code,
            waited,
            masked,
        )
        try:
            return parse_rest_response(response.status_code, response.content)
        except RateLimitError:
            self._limiter.penalise(endpoint, self._penalty)
            raise
