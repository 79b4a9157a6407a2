/**
 * The market-order ticket: symbol, lots, and Sell / Buy buttons showing the price an order
 * would fill at now (bid / ask). POST /api/orders; the result shows the price the server filled
 * at, which is the one that counts. Each click sends a new client_order_id, so a request that is
 * retried can never book twice. Lots go as a JSON number, never a string (the API refuses those).
 */

import { api } from "./api.js";
import { element } from "./dom.js";
import { clearError, showError } from "./errors.js";

export class Ticket {
  constructor(form, result, errorBox, watchlist) {
    this.form = form;
    this.result = result;
    this.errorBox = errorBox;
    this.watchlist = watchlist;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit(event.submitter.value);
    });
    form.symbol.addEventListener("change", () => this.showPrices());
    watchlist.onQuote((symbol) => {
      if (symbol === form.symbol.value) this.showPrices();
    });
  }

  setSymbols(symbols) {
    this.form.symbol.replaceChildren(...symbols.map((symbol) => element("option", symbol)));
  }

  select(symbol) {
    this.form.symbol.value = symbol;
    this.showPrices();
  }

  showPrices() {
    const quote = this.watchlist.quote(this.form.symbol.value);
    for (const span of this.form.querySelectorAll(".price")) {
      span.textContent = quote ? quote[span.dataset.side] : "—";
    }
  }

  async submit(side) {
    const raw = this.form.lots.value;
    const order = {
      symbol: this.form.symbol.value,
      side,
      lots: raw === "" ? null : Number(raw),
      client_order_id: crypto.randomUUID(),
    };
    this.setBusy(true);
    this.result.textContent = `Sending ${side} ${raw} ${order.symbol}…`;
    try {
      const placed = await api("POST", "/api/orders", order);
      clearError(this.errorBox);
      this.result.textContent = describe(placed);
    } catch (error) {
      this.result.textContent = `${side} ${raw} ${order.symbol} refused`;
      showError(this.errorBox, error);
    } finally {
      this.setBusy(false);
    }
  }

  setBusy(busy) {
    for (const button of this.form.querySelectorAll("button")) button.disabled = busy;
  }
}

/** "Bought 0.10 EURUSD at 1.10107 (order 1)" from a 201 {order, fill, fills, position, account}. */
function describe({ order, fill, fills, account }) {
  const verb = order.side === "BUY" ? "Bought" : "Sold";
  const realised = fills.reduce((sum, each) => sum + Number(each.realized_pnl), 0);
  const pnl = realised ? `, realised P&L ${realised.toFixed(2)} ${account.currency}` : "";
  return `${verb} ${order.lots} ${order.symbol} at ${fill.price} (order ${order.id}${pnl})`;
}
