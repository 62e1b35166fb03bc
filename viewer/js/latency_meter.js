// Measures latency T5, projection received by the daemon -> pixels drawn in this page (PROTOCOL.md 14.4), and
// reports the samples to the daemon in `latency` messages about once a second.
//
// A slice update is measured when its received_ns is newer than any before for that slice (it carries a newly
// received projection; recomputes and re-sends for a new view carry an old received_ns and are not). Its latency is
//   daemon_latency_ns                 sent_ns - received_ns on the daemon's clock (exact; the timestamps are not
//                                     exact as JavaScript numbers)
// + round trip / 2                    of the newest ping/pong, for the transit to this page
// + (drawn - arrived)                 on this page's monotonic clock (performance.now()),
// where drawn is taken in the animation frame after the one whose callback put the pixels on the canvas, i.e. once
// the frame with them has been painted. No clock is shared between daemon and page. An update that is replaced by a
// newer one before it was drawn is not measured. Samples are in microseconds.

const REPORT_INTERVAL_MS = 1000;
const MAX_SAMPLES_PER_MESSAGE = 1000;
const MAX_PENDING = 4000;
const RECENT_KEPT = 256;

export class LatencyMeter {
  constructor(connection) {
    this.connection = connection;
    this.newestReceivedNs = new Map();  // slice name -> newest received_ns seen (this scan)
    this.scanId = null;
    this.pending = [];                  // {scanId, us} not yet sent
    this.recent = [];                   // newest samples (us), for the page and tests
    this.measured = 0;
    this.sent = 0;
    this.skippedNoRtt = 0;
    this.timer = setInterval(() => this.report(), REPORT_INTERVAL_MS);
  }

  // Called when a slice message arrives; returns a token to hand to drawn(), or null when the update carries no
  // newly received projection.
  arrived(header, arrivedMs) {
    if (header.scan_id !== this.scanId) {
      this.scanId = header.scan_id;
      this.newestReceivedNs.clear();
    }
    const received = header.received_ns;
    if (!(received > 0) || !(header.sent_ns > 0)) return null;
    const newest = this.newestReceivedNs.get(header.slice) ?? 0;
    if (!(received > newest)) return null;
    this.newestReceivedNs.set(header.slice, received);
    const daemonNs = header.daemon_latency_ns ?? header.sent_ns - received;
    return { scanId: header.scan_id, daemonUs: daemonNs / 1000, arrivedMs };
  }

  // Called with the token once the update's pixels have been painted, drawnMs from performance.now().
  drawn(token, drawnMs) {
    const rtt = this.connection.rttMs;
    if (rtt === null) {
      ++this.skippedNoRtt;
      return;
    }
    const us = token.daemonUs + (rtt / 2) * 1000 + (drawnMs - token.arrivedMs) * 1000;
    if (!Number.isFinite(us)) return;
    ++this.measured;
    this.pending.push({ scanId: token.scanId, us });
    if (this.pending.length > MAX_PENDING) this.pending.splice(0, this.pending.length - MAX_PENDING);
    this.recent.push(us);
    if (this.recent.length > RECENT_KEPT) this.recent.splice(0, this.recent.length - RECENT_KEPT);
  }

  report() {
    while (this.pending.length > 0 && this.connection.isOpen()) {
      const scanId = this.pending[0].scanId;
      let n = 0;
      while (n < this.pending.length && n < MAX_SAMPLES_PER_MESSAGE && this.pending[n].scanId === scanId) ++n;
      const batch = this.pending.slice(0, n);
      const samples = batch.map((s) => Math.round(s.us));
      if (!this.connection.send({ type: "latency", scan_id: scanId, samples_us: samples })) break;
      this.pending.splice(0, n);
      this.sent += n;
    }
  }

  // Median and 99th percentile (us) of the recent samples, or null with none.
  summary() {
    if (this.recent.length === 0) return null;
    const sorted = [...this.recent].sort((a, b) => a - b);
    const at = (p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
    return { p50: at(50), p99: at(99), count: sorted.length };
  }
}
