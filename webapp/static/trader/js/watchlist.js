/**
 * The watchlist: the client quote (bid/ask, the prices an order fills at) of every catalogue
 * symbol. First prices come from GET /api/quotes, then from `quote` messages. A quote older than
 * the one shown is ignored, since the REST answer and the first ticks may cross.
 * Clicking a row picks its symbol for the chart and the order ticket.
 */

import { api } from "./api.js";
import { element, row, timeOfDay } from "./dom.js";
import { clearError, showError } from "./errors.js";

export class Watchlist {
  constructor(table, errorBox, onPick) {
    this.body = table.tBodies[0];
    this.errorBox = errorBox;
    this.quotes = new Map(); // symbol -> {bid, ask, ts_event (ms)}
    this.listeners = [];
    this.body.addEventListener("click", (event) => {
      const picked = event.target.closest("tr[data-symbol]");
      if (picked) onPick(picked.dataset.symbol);
    });
  }

  /** Call `listener(symbol, quote)` on every new quote. */
  onQuote(listener) {
    this.listeners.push(listener);
  }

  async load(symbols) {
    this.symbols = symbols;
    this.quotes.clear();
    this.body.replaceChildren(
      ...symbols.map((symbol) => row([[symbol, "symbol"], [null, "bid"], [null, "ask"],
        [null, "time"]], { "data-symbol": symbol }))
    );
    await this.refresh();
  }

  /** Read every symbol's current quote (first, and for ticks missed while disconnected). */
  async refresh() {
    try {
      const { items } = await api("GET", `/api/quotes?symbols=${this.symbols.join(",")}`);
      clearError(this.errorBox);
      for (const item of items) {
        if (item.bid !== null) this.update({ ...item, ts_event: Date.parse(item.ts_event) });
        else if (!this.quotes.has(item.symbol)) this.markMissing(item.symbol, item.reason);
      }
    } catch (error) {
      showError(this.errorBox, error);
    }
  }

  /** Show a quote (from a `quote` message or the REST answer). */
  update({ symbol, bid, ask, ts_event }) {
    const shown = this.quotes.get(symbol);
    const tr = this.body.querySelector(`tr[data-symbol="${symbol}"]`);
    if (!tr || (shown && (ts_event < shown.ts_event || same(shown, { bid, ask, ts_event })))) {
      return;
    }
    const direction = shown ? Math.sign(Number(bid) - Number(shown.bid)) : 0;
    this.quotes.set(symbol, { bid, ask, ts_event });
    tr.querySelector(".bid").textContent = bid;
    tr.querySelector(".ask").textContent = ask;
    tr.querySelector(".time").textContent = timeOfDay(ts_event);
    tr.dataset.move = direction > 0 ? "up" : direction < 0 ? "down" : "";
    for (const listener of this.listeners) listener(symbol, this.quotes.get(symbol));
  }

  markMissing(symbol, reason) {
    const time = this.body.querySelector(`tr[data-symbol="${symbol}"] .time`);
    time.replaceChildren(element("span", "no price", { class: "muted", title: reason || "" }));
  }

  select(symbol) {
    for (const tr of this.body.rows) tr.setAttribute("aria-selected", tr.dataset.symbol === symbol);
  }

  quote(symbol) {
    return this.quotes.get(symbol) || null;
  }
}

function same(one, other) {
  return one.ts_event === other.ts_event && one.bid === other.bid && one.ask === other.ask;
}
