// The scan state panel: progress, rate, rejections, missing frames, latencies (T4 publish, T5 drawn in a browser),
// engine and connection, from the `status` messages (PROTOCOL.md 10.3, 14.2). Values go into elements marked
// data-testid, so that tests read them without parsing the layout.

export class ScanPanel {
  constructor(root) {
    this.root = root;
  }

  set(testId, text) {
    const element = this.root.querySelector(`[data-testid="${testId}"]`);
    if (element) element.textContent = text;
  }

  setConnection(state, connects) {
    const text = state === "open" ? (connects > 1 ? `connected (reconnected ${connects - 1}×)` : "connected")
               : state === "connecting" ? "connecting…" : "disconnected, retrying";
    this.set("connection-state", text);
    this.root.dataset.connection = state;
  }

  // status: the get_status map; viewers: browsers connected now; pageLatency: this page's {p50, p99} or null (us).
  update(status, viewers, pageLatency) {
    const counters = status.counters ?? {};
    const scan = status.scan;
    this.set("engine", status.engine ?? "–");
    this.set("viewers", viewers ?? "–");
    this.set("rejected", counters.rejected ?? "–");
    this.set("publish-latency", latencyText(counters.publish_latency_samples, counters.publish_latency_p50_us,
                                            counters.publish_latency_p99_us));
    this.set("viewer-latency", latencyText(counters.viewer_latency_samples, counters.viewer_latency_p50_us,
                                           counters.viewer_latency_p99_us));
    this.set("page-latency", pageLatency
      ? `${ms(pageLatency.p50)} / ${ms(pageLatency.p99)} ms (${pageLatency.count})` : "–");
    if (!scan) {
      this.set("scan", "no scan yet");
      for (const id of ["scan-state", "projections", "rate", "missing", "memory"]) this.set(id, "–");
      return;
    }
    this.set("scan", `${scan.scan_id}${scan.name ? ` · ${scan.name}` : ""} · ${scan.rows}×${scan.cols}`);
    this.set("scan-state", scan.state);
    this.set("projections", `${scan.projections_received} / ${scan.projections_expected}`);
    this.set("rate", `${Number(scan.projection_rate_hz ?? 0).toFixed(1)} /s`);
    this.set("missing", scan.projections_missing ?? "–");
    const memory = scan.memory;
    this.set("memory", memory
      ? `${mib(memory.total_bytes)} of ${mib(memory.available_bytes)} MiB on ${memory.device} (${memory.store_precision})`
      : "–");
  }
}

function latencyText(samples, p50, p99) {
  if (!samples) return "–";
  return `${ms(p50)} / ${ms(p99)} ms (${samples})`;
}

function ms(us) {
  return (Number(us) / 1000).toFixed(1);
}

function mib(bytes) {
  return (Number(bytes) / 2 ** 20).toFixed(0);
}
