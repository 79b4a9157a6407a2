/**
 * The /ws connection: opened with a one-time ticket, resubscribed after every reconnect, and
 * reconnected with exponential back-off and jitter whenever it closes.
 *
 * Why a ticket (POST /api/ws/ticket) rather than ?token=ACCESS_TOKEN: a browser cannot read the
 * HTTP status of a refused upgrade, so a socket opened with an expired token just closes and
 * the page could not tell "log in again" from "server down". Asking for a ticket goes through
 * api(), which refreshes an expired token first; and the access token never sits in a URL.
 * The server closes the socket when the token behind it expires: the next connect refreshes.
 */

import { api } from "./api.js";

const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 15000;

export class Stream {
  /**
   * @param onMessage called with every server message (parsed)
   * @param onState called with "connecting", "live", "reconnecting" or "offline"
   */
  constructor(onMessage, onState) {
    this.onMessage = onMessage;
    this.onState = onState;
    this.symbols = new Set();
    this.socket = null;
    this.failures = 0;
    this.timer = null;
    this.session = 0; // bumped by start() and stop(): a connect of an older session gives up
  }

  start() {
    this.session += 1;
    this.failures = 0;
    this.connect();
  }

  stop() {
    this.session += 1;
    clearTimeout(this.timer);
    this.socket?.close(1000, "logged out");
    this.socket = null;
    this.onState("offline");
  }

  /** Subscribe to quotes of these symbols, now and after every reconnect. */
  subscribe(symbols) {
    for (const symbol of symbols) this.symbols.add(symbol);
    this.send({ type: "subscribe", symbols: [...symbols] });
  }

  /** Ask for a new snapshot (after a sequence gap or a `resync`). */
  requestSnapshot() {
    this.send({ type: "snapshot" });
  }

  /** The connection delivered its snapshot: it works, so the next failure starts afresh. */
  confirmed() {
    this.failures = 0;
  }

  send(message) {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  async connect() {
    const session = this.session;
    this.onState(this.failures ? "reconnecting" : "connecting");
    let ticket;
    try {
      ({ ticket } = await api("POST", "/api/ws/ticket"));
    } catch (error) {
      if (error.status !== 401) this.retry(session); // 401: the session is over
      return;
    }
    if (session !== this.session) return;
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const url = `${scheme}//${location.host}/ws?ticket=${encodeURIComponent(ticket)}`;
    const socket = new WebSocket(url);
    this.socket = socket;
    // Live once the server has sent the snapshot and confirmed the subscription (in that order).
    let live = false;
    socket.onopen = () => this.send({ type: "subscribe", symbols: [...this.symbols] });
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "subscribed" && !live) {
        live = true;
        this.onState("live");
      }
      this.onMessage(message);
    };
    socket.onclose = () => {
      if (this.socket !== socket) return; // an older socket, already replaced or stopped
      this.socket = null;
      this.retry(session);
    };
  }

  retry(session) {
    if (session !== this.session) return;
    const ceiling = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** this.failures);
    this.failures += 1;
    this.onState("reconnecting");
    this.timer = setTimeout(() => this.connect(), ceiling / 2 + Math.random() * (ceiling / 2));
  }
}
