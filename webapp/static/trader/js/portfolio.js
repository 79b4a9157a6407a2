/**
 * The account panel and the open positions, drawn from the AccountBook (account.js).
 * Account figures are live: the positions engine revalues them on every tick (account.valued).
 * A position's price and P&L are those of the last snapshot (events carry positions as booked,
 * without live figures), so the table says when it was valued.
 */

import { row, signClass, timeOfDay } from "./dom.js";

const ACCOUNT_FIGURES = ["balance", "equity", "unrealized_pnl", "used_margin", "free_margin"];

export class Portfolio {
  constructor(accountList, accountId, alertBox, positionsTable, positionsStatus) {
    this.accountList = accountList;
    this.accountId = accountId;
    this.alertBox = alertBox;
    this.positionsBody = positionsTable.tBodies[0];
    this.positionsStatus = positionsStatus;
  }

  render(book) {
    this.renderAccount(book);
    this.renderPositions(book);
    this.renderAlert(book.alert);
  }

  renderAccount({ account, marginState }) {
    if (!account) return;
    this.accountId.textContent = `#${account.id} (${account.currency})`;
    for (const name of ACCOUNT_FIGURES) this.setFigure(name, account[name], account.currency);
    this.setFigure("margin_level", levelText(account.margin_level));
    // Without margin in use there is nothing to call; otherwise only a valuation says.
    const idle = account.margin_level === null && account.used_margin === "0.00";
    this.setFigure("margin_state", marginState || (idle ? "OK" : "—"));
  }

  setFigure(name, value, currency = "") {
    const dd = this.accountList.querySelector(`[data-field="${name}"]`);
    dd.textContent = value === null || value === undefined ? "—" : `${value} ${currency}`.trim();
    dd.className = name === "unrealized_pnl" ? signClass(value) : "";
  }

  renderPositions({ positions, valuedAt }) {
    const rows = [...positions.values()].map((p) =>
      row(
        [
          p.symbol,
          [p.side, p.side.toLowerCase()],
          p.lots,
          p.avg_price,
          p.current_price,
          [p.unrealized_pnl, signClass(p.unrealized_pnl)],
          p.used_margin,
        ],
        { "data-symbol": p.symbol }
      )
    );
    this.positionsBody.replaceChildren(...rows);
    this.positionsStatus.textContent = positions.size
      ? `Price and P&L as valued at ${timeOfDay(valuedAt)} UTC`
      : "No open positions";
  }

  renderAlert(alert) {
    if (!alert) {
      this.alertBox.hidden = true;
      return;
    }
    const { kind, data, ts } = alert;
    this.alertBox.textContent =
      kind === "margin.call"
        ? `Margin call at ${timeOfDay(ts)} UTC: margin level ${data.margin_level}% ` +
          `(call at ${data.margin_call_level}%, stop out at ${data.stop_out_level}%)`
        : `Stop out at ${timeOfDay(ts)} UTC: ${data.fill.side} ${data.fill.lots} ` +
          `${data.fill.symbol} at ${data.fill.price}; margin level now ${levelText(data.margin_level)}`;
    this.alertBox.hidden = false;
  }
}

function levelText(level) {
  return level === null ? "no margin used" : `${level}%`;
}
