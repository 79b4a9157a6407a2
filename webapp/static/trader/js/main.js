/**
 * The trader page: log in (or register), then the watchlist, the candle chart, the order
 * ticket, the account and the open positions, all fed by one WebSocket (stream.js).
 *
 * Message routing: `quote` goes to the watchlist; `snapshot` and account events go through the
 * AccountBook (account.js), which decides by `seq` what is old, what applies and when a new
 * snapshot is needed; `resync` asks for one. Only a snapshot carries each position's live price
 * and P&L (events carry positions as booked, valuations only the account's totals), so the page
 * also asks for one after a position changes, and after valuations at most every
 * REVALUE_POSITIONS_MS: the positions table lags the account's live figures by that much.
 */

import { api, hasSession, login, logout, onSessionEnded, register } from "./api.js";
import { AccountBook } from "./account.js";
import { CandleChart } from "./chart.js";
import { clearError, showError } from "./errors.js";
import { Portfolio } from "./portfolio.js";
import { Stream } from "./stream.js";
import { Ticket } from "./ticket.js";
import { Watchlist } from "./watchlist.js";

const $ = (selector) => document.querySelector(selector);
const CONNECTION_TEXT = {
  connecting: "connecting…", live: "live", reconnecting: "reconnecting…", offline: "offline",
};
const REVALUE_AFTER = new Set(["position.changed", "stop_out"]);
const REVALUE_POSITIONS_MS = 3000;

let book = new AccountBook();
let catalogue = new Map(); // symbol -> its catalogue entry (digits...)
let chosen = null;
let snapshotAt = 0; // performance.now() of the last snapshot
let revalueTimer = null;
let wasLive = false; // whether this session's socket was live before (then it reconnected)

const watchlist = new Watchlist($("#watchlist"), $(".watchlist .error"), pick);
const chart = new CandleChart($("#chart"), $("#chart-status"), $(".chart .error"));
const ticket = new Ticket($("#ticket"), $("#ticket-result"), $(".ticket .error"), watchlist);
const portfolio = new Portfolio(
  $("#account"), $("#account-id"), $("#margin-alert"), $("#positions"), $("#positions-status")
);
const stream = new Stream(route, showConnection);

function route(message) {
  const { type, data } = message;
  if (type === "quote") watchlist.update(data);
  else if (type === "snapshot") {
    stream.confirmed();
    snapshotAt = performance.now();
    settle(book.applySnapshot(data, message.ts));
  } else if (type === "resync") resync();
  else if (type === "error") showNotice(`${data.message} (${data.error_code})`);
  else if (data && "account_id" in data) {
    const outcome = book.apply(message);
    if (outcome === "applied" && REVALUE_AFTER.has(type)) resync();
    else if (outcome === "applied" && type === "account.valued") revaluePositionsSoon();
    settle(outcome);
  }
}

/** Draw the book; ask for a snapshot when it found a gap. */
function settle(outcome) {
  if (outcome === "gap") stream.requestSnapshot();
  portfolio.render(book);
}

/** Ask for a snapshot REVALUE_POSITIONS_MS after the last one (once, however many ticks). */
function revaluePositionsSoon() {
  if (revalueTimer !== null || book.positions.size === 0) return;
  const wait = Math.max(0, snapshotAt + REVALUE_POSITIONS_MS - performance.now());
  revalueTimer = setTimeout(() => {
    revalueTimer = null;
    resync();
  }, wait);
}

function resync() {
  book.invalidate();
  stream.requestSnapshot();
}

function showConnection(state) {
  if (state !== "live") book.invalidate(); // a new socket starts with a new snapshot
  else if (wasLive) watchlist.refresh(); // ticks sent while reconnecting were lost
  wasLive ||= state === "live";
  const badge = $("#connection");
  badge.dataset.state = state;
  badge.textContent = CONNECTION_TEXT[state];
}

function showNotice(text) {
  const notice = $("#notice");
  notice.textContent = text;
  notice.hidden = !text;
}

/** Pick a symbol for the chart and the ticket. */
function pick(symbol) {
  chosen = symbol;
  watchlist.select(symbol);
  ticket.select(symbol);
  $("#chart-symbol").textContent = symbol;
  chart.show(symbol, $("#chart-interval").value, catalogue.get(symbol).digits);
}

async function startSession() {
  showView("trade");
  book = new AccountBook();
  wasLive = false;
  try {
    const [me, symbols] = await Promise.all([
      api("GET", "/api/auth/me"), api("GET", "/api/symbols"),
    ]);
    $("#who").textContent = me.username;
    catalogue = new Map(symbols.items.map((entry) => [entry.symbol, entry]));
    const names = [...catalogue.keys()];
    ticket.setSymbols(names);
    await watchlist.load(names);
    stream.subscribe(names);
    stream.start();
    pick(chosen && catalogue.has(chosen) ? chosen : names[0]);
  } catch (error) {
    if (error.status !== 401) showNotice(`The page could not start: ${error.message}`);
  }
}

function endSession() {
  clearTimeout(revalueTimer);
  revalueTimer = null;
  stream.stop();
  chart.stop();
  showNotice("");
  showView("login");
}

function showView(name) {
  $("#login-view").hidden = name !== "login";
  $("#trade-view").hidden = name !== "trade";
  $("#logout").hidden = name !== "trade";
  if (name === "login") $("#who").textContent = "";
}

$("#login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const errorBox = form.querySelector(".error");
  const { username, password } = form.elements;
  try {
    if (event.submitter.value === "register") await register(username.value, password.value);
    await login(username.value, password.value);
    clearError(errorBox);
    password.value = "";
    await startSession();
  } catch (error) {
    showError(errorBox, error);
  }
});

$("#logout").addEventListener("click", async () => {
  endSession();
  try {
    await logout();
  } catch (error) {
    showNotice(`Logged out here; the server could not be told: ${error.message}`);
  }
});

$("#chart-interval").addEventListener("change", () => chosen && pick(chosen));

onSessionEnded((error) => {
  endSession();
  showError($("#login-form .error"), { ...error, message: `Please log in again: ${error.message}` });
});

if (hasSession()) startSession();
else showView("login");
