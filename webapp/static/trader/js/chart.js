/**
 * The candle chart of one symbol: GET /api/candles, drawn by TradingView Lightweight Charts
 * (vendored). Reloaded when the symbol or interval changes and every RELOAD_MS, since the
 * server caches bars per refresh period and the chart shows closed and forming bars alike.
 * The container's data-state ("loading", "ready", "empty", "error") and data-bars say what is
 * drawn, for people and tests alike.
 */

import {
  CandlestickSeries,
  ColorType,
  createChart,
} from "../../vendor/lightweight-charts/lightweight-charts.standalone.production.mjs";
import { api } from "./api.js";
import { clearError, showError } from "./errors.js";

const RELOAD_MS = 30000;
const BARS = 100;
export const UP_COLOUR = "#1a9e6e";
export const DOWN_COLOUR = "#d8434c";

export class CandleChart {
  constructor(container, status, errorBox) {
    this.container = container;
    this.status = status;
    this.errorBox = errorBox;
    this.chart = createChart(container, {
      autoSize: true,
      // The logo injects an inline <style>, which the page's CSP refuses: the panel credits
      // TradingView with a link instead, as the licence asks.
      layout: {
        attributionLogo: false,
        background: { type: ColorType.Solid, color: "#ffffff" },
        textColor: "#33384a",
      },
      grid: { vertLines: { color: "#eef0f4" }, horzLines: { color: "#eef0f4" } },
      timeScale: { timeVisible: true, secondsVisible: false },
    });
    this.series = this.chart.addSeries(CandlestickSeries, {
      upColor: UP_COLOUR, downColor: DOWN_COLOUR, borderVisible: false,
      wickUpColor: UP_COLOUR, wickDownColor: DOWN_COLOUR,
    });
    this.request = 0;
    this.timer = null;
  }

  /** Show `symbol` at `interval`, with prices to `digits` places; reload periodically. */
  show(symbol, interval, digits) {
    this.current = { symbol, interval, digits };
    this.series.applyOptions({
      priceFormat: { type: "price", precision: digits, minMove: 10 ** -digits },
    });
    clearInterval(this.timer);
    this.timer = setInterval(() => this.load(), RELOAD_MS);
    this.series.setData([]);
    this.setState("loading", `Loading ${symbol} ${interval}…`);
    return this.load();
  }

  stop() {
    clearInterval(this.timer);
    this.series.setData([]);
    this.current = null;
  }

  async load() {
    if (!this.current) return;
    const { symbol, interval } = this.current;
    const request = ++this.request; // only the latest request may draw
    try {
      const query = `symbol=${symbol}&interval=${interval}&limit=${BARS}`;
      const { items } = await api("GET", `/api/candles?${query}`);
      if (request !== this.request) return;
      this.series.setData(items.map(toBar));
      this.chart.timeScale().fitContent();
      clearError(this.errorBox);
      this.container.dataset.bars = items.length;
      const last = items.at(-1);
      this.setState(items.length ? "ready" : "empty", items.length
        ? `${symbol} ${interval}: ${items.length} bars, last close ${last.close} (${last.timestamp})`
        : `${symbol} ${interval}: no bars`);
    } catch (error) {
      if (request !== this.request) return;
      this.series.setData([]);
      this.container.dataset.bars = 0;
      this.setState("error", `${symbol} ${interval}: no chart`);
      showError(this.errorBox, error);
    }
  }

  setState(state, text) {
    this.container.dataset.state = state;
    this.status.textContent = text;
  }
}

/** One API bar as the chart wants it: time in seconds, prices as numbers (display only). */
function toBar(bar) {
  return {
    time: Date.parse(bar.timestamp) / 1000,
    open: Number(bar.open),
    high: Number(bar.high),
    low: Number(bar.low),
    close: Number(bar.close),
  };
}
