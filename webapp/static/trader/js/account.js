/**
 * The account and its open positions as the WebSocket tells them: a snapshot, then events
 * ordered by the account's transaction sequence number `seq`. No DOM here.
 *
 * Every booked transaction raises `seq` by one and all of its events carry it. So an event
 * - with seq at or below the snapshot's is already in the snapshot: dropped;
 * - with seq equal to the last one applied belongs to the same transaction, and one above
 *   starts the next: applied;
 * - with a higher seq means events were lost (pub/sub is at-most-once): the caller asks for a
 *   new snapshot, and events are held until it comes, then replayed against it.
 * Valuations (account.valued, margin.call) book nothing: they carry the seq they were computed
 * at, so one older than the last transaction is stale and one newer reveals a lost event.
 * Margin calls and stop outs are also news for the trader: they are shown as they arrive, even
 * when the snapshot asked for meanwhile already holds their effect (a socket only receives
 * events published while it is open, so none is older than the page).
 */

const VALUATIONS = new Set(["account.valued", "margin.call"]);
const ALERTS = new Set(["margin.call", "stop_out"]);
const LIVE_FIGURES = [
  "balance", "equity", "unrealized_pnl", "used_margin", "free_margin", "margin_level",
];

export class AccountBook {
  constructor() {
    this.account = null;
    this.positions = new Map(); // symbol -> position (valued when it came from a snapshot)
    this.marginState = null;
    this.alert = null; // the latest margin call or stop out, for the page to show
    this.valuedAt = null; // ms of the snapshot the positions' live figures come from
    this.snapshotSeq = null;
    this.seq = null;
    this.held = []; // events received while a snapshot is awaited
  }

  get awaitingSnapshot() {
    return this.snapshotSeq === null;
  }

  /** Forget the snapshot: hold events until the next one (after a gap or a reconnect). */
  invalidate() {
    this.snapshotSeq = null;
    this.held = [];
  }

  /** Replace everything with a snapshot, then replay the events held meanwhile. */
  applySnapshot(data, ts) {
    this.account = data.account;
    this.marginState = null; // a snapshot has no margin state: the next valuation tells it
    this.positions = new Map(data.positions.map((position) => [position.symbol, position]));
    this.valuedAt = ts;
    this.snapshotSeq = this.seq = data.seq;
    const held = this.held;
    this.held = [];
    return held.map((message) => this.apply(message)).includes("gap") ? "gap" : "applied";
  }

  /** Apply an account event; return "applied", "old", "held" or "gap" (ask for a snapshot). */
  apply({ type, data, ts }) {
    if (ALERTS.has(type)) this.alert = { kind: type, ts, data };
    if (this.awaitingSnapshot) {
      this.held.push({ type, data, ts });
      return "held";
    }
    if (VALUATIONS.has(type)) {
      if (data.seq < this.seq) return "old";
      if (data.seq > this.seq) return this.gap();
    } else {
      if (data.seq <= this.snapshotSeq || data.seq < this.seq) return "old";
      if (data.seq > this.seq + 1) return this.gap();
      this.seq = data.seq;
    }
    this[HANDLERS[type]]?.(data, ts);
    return "applied";
  }

  gap() {
    this.invalidate();
    return "gap";
  }

  accountUpdated(data) {
    this.account = data.account;
  }

  valued(data) {
    this.account = { ...this.account, ...pick(data, LIVE_FIGURES) };
    this.marginState = data.margin_state;
    if (data.margin_state === "OK" && this.alert?.kind === "margin.call") this.alert = null;
  }

  marginCall(data) {
    this.valued(data);
  }

  positionChanged(data) {
    const { position } = data;
    // Events carry the position as booked, without live figures: those come with a snapshot.
    if (position.status === "open") this.positions.set(position.symbol, position);
    else this.positions.delete(position.symbol);
  }

  stoppedOut(data) {
    this.positionChanged(data);
  }
}

const HANDLERS = {
  "account.updated": "accountUpdated",
  "account.valued": "valued",
  "margin.call": "marginCall",
  "position.changed": "positionChanged",
  stop_out: "stoppedOut",
};

function pick(object, names) {
  return Object.fromEntries(names.filter((name) => name in object).map((n) => [n, object[n]]));
}
