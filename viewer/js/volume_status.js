// The full volume's state in words and numbers (PROTOCOL.md 10.6), from the status's `volume` map, and the
// reconstruct_volume request of the Volume panel. DOM-free, so that node tests it.

export const MAX_VOLUME_BINNING = 16;  // protocol kMaxVolumeBinning

// Whether the volume still runs (its slabs are computed or written): a new one is refused, cancel_volume is not.
export function volumeRunning(volume) {
  return volume?.state === "computing" || volume?.state === "writing";
}

// {fraction (0..1, slabs written), text} of a volume's progress; fraction 0 and "–" before the first volume.
export function volumeProgress(volume) {
  if (!volume) return { fraction: 0, text: "–" };
  const total = Number(volume.slabs_total) || 0;
  const fraction = total > 0 ? Math.min(1, Number(volume.slabs_written) / total) : 0;
  return {
    fraction,
    text: `${volume.slabs_done} / ${total} slabs computed, ${volume.slabs_written} written · ` +
          `${mib(volume.bytes_written)} MiB`,
  };
}

// The volume's state and timing in one line: "computing (scan 3)", "finished in 1.23 s (computed in 0.40 s)",
// "failed: <the daemon's reason>".
export function volumeStateText(volume) {
  if (!volume) return "none yet";
  const scan = `scan ${volume.scan_id}`;
  switch (volume.state) {
    case "finished":
      return `finished in ${seconds(volume.elapsed_s)} (computed in ${seconds(volume.compute_s)}) · ${scan}`;
    case "failed":
    case "cancelled":
      return `${volume.state}: ${volume.error ?? "no reason given"} · ${scan}`;
    default:
      return `${volume.state} · ${scan} · ${seconds(volume.elapsed_s)}`;
  }
}

// The volume's shape and format: "48 × 96 × 96 (z, y, x) · hdf5 float32 · binning 1".
export function volumeShapeText(volume) {
  if (!volume) return "–";
  const [z, y, x] = volume.shape;
  return `${z} × ${y} × ${x} (z, y, x) · ${volume.format} ${volume.dtype} · binning ${volume.binning}`;
}

// The reconstruct_volume request for the binning typed in ({request}), or what is wrong with it ({problem}).
// The whole slice and every detector row: a region or row range is tomolive-ctl's (`volume --region --rows`).
export function volumeRequest(binningText) {
  const text = String(binningText).trim();
  const binning = Number(text);
  if (text === "" || !Number.isInteger(binning) || binning < 1 || binning > MAX_VOLUME_BINNING) {
    return { problem: `binning must be a whole number 1..${MAX_VOLUME_BINNING}; found "${text}"` };
  }
  return { request: { type: "reconstruct_volume", binning } };
}

function seconds(value) {
  return `${Number(value ?? 0).toFixed(2)} s`;
}

function mib(bytes) {
  return (Number(bytes ?? 0) / 2 ** 20).toFixed(1);
}
