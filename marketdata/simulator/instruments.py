"""The simulator's own table of vendor codes: realistic mids, spreads, tick rates and volatility.

Policy: mids are late-2025 levels; spreads are typical raw interbank/ECN spreads; `tick_rate` is
pushes per second at `tick_rate_scale` 1; `daily_vol` is the one-day relative standard deviation
that sizes each random-walk step. FX, metals and energy publish 1 depth level, crypto 5. Stock codes
are served on the stock path only; everything else on the forex path.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

FOREX = "forex"
STOCK = "stock"


@dataclass(frozen=True, slots=True)
class Instrument:
    """One simulated vendor code."""

    code: str
    mid: Decimal
    spread: Decimal
    decimals: int
    tick_rate: float
    daily_vol: float
    depth_levels: int = 1
    family: str = FOREX
    volume_decimals: int = 2

    @property
    def quantum(self) -> Decimal:
        """Return the price increment."""
        return Decimal(1).scaleb(-self.decimals)


def _fx(code: str, mid: str, spread: str, rate: float, vol: float = 0.005) -> Instrument:
    decimals = 3 if code.endswith("JPY") else 5
    return Instrument(code, Decimal(mid), Decimal(spread), decimals, rate, vol)


INSTRUMENTS: dict[str, Instrument] = {
    i.code: i
    for i in (
        _fx("EURUSD", "1.16000", "0.00008", 5.0),
        _fx("GBPUSD", "1.33000", "0.00012", 4.0),
        _fx("USDJPY", "152.000", "0.012", 4.0, 0.006),
        _fx("USDCHF", "0.80000", "0.00014", 3.0),
        _fx("AUDUSD", "0.65500", "0.00010", 3.0, 0.006),
        _fx("USDCAD", "1.40000", "0.00014", 3.0),
        _fx("NZDUSD", "0.57000", "0.00014", 2.0, 0.006),
        _fx("EURGBP", "0.87500", "0.00012", 2.0, 0.004),
        _fx("EURJPY", "176.500", "0.018", 2.5, 0.006),
        _fx("GBPJPY", "202.000", "0.025", 2.5, 0.007),
        _fx("EURCHF", "0.93000", "0.00018", 1.5, 0.004),
        _fx("AUDJPY", "99.500", "0.018", 2.0, 0.008),
        _fx("EURAUD", "1.77000", "0.00022", 1.5, 0.006),
        _fx("EURCAD", "1.62500", "0.00022", 1.5),
        _fx("GBPCHF", "1.06500", "0.00025", 1.5),
        _fx("CADJPY", "108.500", "0.020", 1.5, 0.007),
        _fx("CHFJPY", "190.000", "0.025", 1.5, 0.007),
        _fx("NZDJPY", "86.500", "0.022", 1.5, 0.008),
        _fx("AUDNZD", "1.15000", "0.00025", 1.0, 0.004),
        _fx("GBPAUD", "2.03000", "0.00030", 1.5, 0.006),
        Instrument("GOLD", Decimal("4100.00"), Decimal("0.25"), 2, 5.0, 0.012),
        Instrument("Silver", Decimal("50.000"), Decimal("0.025"), 3, 2.0, 0.02),
        Instrument("USOIL", Decimal("60.00"), Decimal("0.03"), 2, 2.0, 0.02),
        Instrument("BTCUSDT", Decimal("90000.00"), Decimal("0.10"), 2, 5.0, 0.03, 5, FOREX, 4),
        Instrument("ETHUSDT", Decimal("3000.00"), Decimal("0.05"), 2, 4.0, 0.035, 5, FOREX, 4),
        Instrument("AAPL.US", Decimal("270.00"), Decimal("0.02"), 2, 2.0, 0.015, 1, STOCK, 0),
        Instrument("700.HK", Decimal("640.0"), Decimal("0.5"), 1, 1.0, 0.015, 1, STOCK, 0),
    )
}


def instrument_for(code: str, family: str) -> Instrument | None:
    """Return the instrument served under `code` on `family`'s path, or None (codes are exact)."""
    instrument = INSTRUMENTS.get(code)
    return instrument if instrument is not None and instrument.family == family else None
