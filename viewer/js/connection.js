// The viewer's WebSocket to the daemon (PROTOCOL.md section 14): JSON text messages both ways and binary slice
// messages from the daemon. Reconnects by itself after the connection drops (backoff from 0.25 s doubling up to 2 s),
// pings every 2 s to keep the round-trip time known (the latency measurement needs it) and to notice a dead peer
// (no pong for 6 s closes the socket and reconnects).
//
// Callbacks (all optional) receive plain objects:
//   onState(state)                 "connecting", "open" or "closed"
//   onMessage(message)             every JSON message except pong and replies to request()
//   onSlice(buffer, arrivedMs)     a binary message; arrivedMs is performance.now() when it was received
//   onOpen()                       after each successful (re)connection, before any message of that connection

const PING_INTERVAL_MS = 2000;
const PONG_TIMEOUT_MS = 6000;
const REQUEST_TIMEOUT_MS = 10000;
const BACKOFF_FIRST_MS = 250;
const BACKOFF_MAX_MS = 2000;

export class Connection {
  constructor(url, callbacks = {}) {
    this.url = url;
    this.callbacks = callbacks;
    this.state = "closed";
    this.socket = null;
    this.connects = 0;          // successful connections so far
    this.rttMs = null;          // round trip of the newest ping/pong, milliseconds
    this.lastPongMs = 0;
    this.nextRequestId = 1;
    this.pending = new Map();   // request_id -> {resolve, timer}
    this.backoffMs = BACKOFF_FIRST_MS;
    this.pingTimer = null;
    this.reconnectTimer = null;
  }

  start() {
    this.open();
  }

  isOpen() {
    return this.state === "open" && this.socket !== null && this.socket.readyState === WebSocket.OPEN;
  }

  // Sends a JSON message; returns false (nothing sent) when not connected.
  send(message) {
    if (!this.isOpen()) return false;
    this.socket.send(JSON.stringify(message));
    return true;
  }

  // Sends a command with a fresh request_id and resolves with the daemon's reply map (never rejects: a lost
  // connection or a timeout resolves with ok false and a code of its own, "not_connected" or "timeout").
  request(message) {
    const requestId = this.nextRequestId++;
    return new Promise((resolve) => {
      if (!this.send({ ...message, request_id: requestId })) {
        resolve(localError(message.type, "not_connected", "not connected to the daemon"));
        return;
      }
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        resolve(localError(message.type, "timeout", `no reply within ${REQUEST_TIMEOUT_MS} ms`));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(requestId, { resolve, timer });
    });
  }

  open() {
    this.setState("connecting");
    let socket;
    try {
      socket = new WebSocket(this.url);
    } catch (error) {
      this.scheduleReconnect();
      return;
    }
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    socket.onopen = () => {
      if (socket !== this.socket) return;
      ++this.connects;
      this.backoffMs = BACKOFF_FIRST_MS;
      this.lastPongMs = performance.now();
      this.setState("open");
      this.callbacks.onOpen?.();
      this.ping();
      this.pingTimer = setInterval(() => this.ping(), PING_INTERVAL_MS);
    };
    socket.onmessage = (event) => {
      if (socket !== this.socket) return;
      const arrivedMs = performance.now();
      if (typeof event.data === "string") this.receiveText(event.data, arrivedMs);
      else this.callbacks.onSlice?.(event.data, arrivedMs);
    };
    socket.onclose = () => {
      if (socket !== this.socket) return;
      this.socket = null;
      clearInterval(this.pingTimer);
      this.pingTimer = null;
      for (const [id, { resolve, timer }] of this.pending) {
        clearTimeout(timer);
        resolve(localError("", "not_connected", "the connection closed before the reply"));
        this.pending.delete(id);
      }
      this.setState("closed");
      this.scheduleReconnect();
    };
    socket.onerror = () => {};  // onclose follows and handles it
  }

  receiveText(text, arrivedMs) {
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (message === null || typeof message !== "object") return;
    if (message.type === "pong") {
      if (typeof message.t === "number") this.rttMs = arrivedMs - message.t;
      this.lastPongMs = arrivedMs;
      return;
    }
    if (message.type === "reply" && this.pending.has(message.request_id)) {
      const { resolve, timer } = this.pending.get(message.request_id);
      this.pending.delete(message.request_id);
      clearTimeout(timer);
      this.callbacks.onMessage?.(message);
      resolve(message);
      return;
    }
    this.callbacks.onMessage?.(message);
  }

  ping() {
    if (performance.now() - this.lastPongMs > PONG_TIMEOUT_MS) {
      this.socket?.close();  // the peer is gone without a close; onclose reconnects
      return;
    }
    this.send({ type: "ping", t: performance.now() });
  }

  scheduleReconnect() {
    clearTimeout(this.reconnectTimer);
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, BACKOFF_MAX_MS);
    this.reconnectTimer = setTimeout(() => this.open(), delay);
  }

  setState(state) {
    if (state === this.state) return;
    this.state = state;
    this.callbacks.onState?.(state);
  }
}

function localError(command, code, message) {
  return { type: "reply", command: command ?? "", ok: false, error: { code, message } };
}

// The WebSocket URL for this page: same host, path /ws, with the page's ?token= passed on.
export function webSocketUrl(location) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const token = new URLSearchParams(location.search).get("token");
  const query = token !== null ? `?token=${encodeURIComponent(token)}` : "";
  return `${scheme}//${location.host}/ws${query}`;
}
