// What a center sweep asks for (PROTOCOL.md 10.1, 10.4, 14.2) and how its thumbnails share one display window.
// Offsets are detector pixels from (cols - 1) / 2, like center_offset_px. Pure functions, no DOM.

export const SWEEP_DEFAULT_COUNT = 16;
export const SWEEP_DEFAULT_STEP_PX = 0.5;
export const SWEEP_MAX_COUNT = 64;
export const SWEEP_MAX_REGION_SIDE = 1024;    // rows and cols of a sweep region, at most (10.1)
export const SWEEP_THUMBNAIL_SHAPE = [160, 160];  // max_shape of each candidate image, [rows, cols]

const OFFSET_DIGITS = 6;  // offsets typed or derived are kept to a micro-pixel: no 0.1 + 0.2 noise in labels

export function roundOffset(value) {
  const scale = 10 ** OFFSET_DIGITS;
  return Math.round(value * scale) / scale + 0;
}

// The default first candidate: `count` candidates `step` apart with the current center among them, at index
// floor(count / 2) (so 16 candidates of 0.5 px around 0 run from -4 to +3.5), rounded to 0.01 px.
export function defaultStartOffset(currentOffsetPx, stepPx = SWEEP_DEFAULT_STEP_PX, count = SWEEP_DEFAULT_COUNT) {
  return Math.round((currentOffsetPx - Math.floor(count / 2) * stepPx) * 100) / 100 + 0;
}

// The candidate offsets start + i * step, i = 0..count-1, as the daemon computes them (then rounded, see above).
export function candidateOffsets(startPx, stepPx, count) {
  return Array.from({ length: count }, (_, i) => roundOffset(startPx + i * stepPx));
}

// Checks the fields of a sweep; returns null when they are valid, else a sentence saying what is wrong.
// cols: detector columns of the scan (candidates must keep the axis on the detector, |offset| < cols / 2).
export function sweepFieldsProblem(startPx, stepPx, count, cols) {
  if (!Number.isFinite(startPx)) return "the start offset must be a number of pixels";
  if (!Number.isFinite(stepPx) || !(stepPx > 0)) return "the step must be a number of pixels > 0";
  if (!Number.isInteger(count) || count < 1 || count > SWEEP_MAX_COUNT) {
    return `the count must be a whole number from 1 to ${SWEEP_MAX_COUNT}`;
  }
  if (Number.isFinite(cols)) {
    const last = startPx + (count - 1) * stepPx;
    const limit = cols / 2;
    if (Math.abs(startPx) >= limit || Math.abs(last) >= limit) {
      return `candidates ${startPx} .. ${roundOffset(last)} px put the axis off the ${cols}-column detector ` +
             `(|offset| < ${limit} px)`;
    }
  }
  return null;
}

// The sweep region for a pane's visible region ([row0, col0, rows, cols] of the XY slice, or null at zoom 1):
// null (the daemon's default, a central square) when the whole slice is visible; else the visible region,
// cut about its centre to at most SWEEP_MAX_REGION_SIDE a side.
export function sweepRegion(visibleRegion) {
  if (!visibleRegion) return null;
  const [row0, col0, rows, cols] = visibleRegion;
  const cut = (start, length) => {
    if (length <= SWEEP_MAX_REGION_SIDE) return [start, length];
    return [start + Math.floor((length - SWEEP_MAX_REGION_SIDE) / 2), SWEEP_MAX_REGION_SIDE];
  };
  const [r0, r] = cut(row0, rows);
  const [c0, c] = cut(col0, cols);
  return [r0, c0, r, c];
}

// The index of the candidate the daemon found sharpest: the one whose offset equals best_offset_px (the reply's
// candidates and best are the same float32 values), or the nearest; -1 without candidates.
export function bestIndex(centersPx, bestOffsetPx) {
  let best = -1;
  for (let i = 0; i < centersPx.length; ++i) {
    if (best < 0 || Math.abs(centersPx[i] - bestOffsetPx) < Math.abs(centersPx[best] - bestOffsetPx)) best = i;
  }
  return best;
}

// One display window for every thumbnail of a sweep, so that candidates compare fairly: the page's window (the
// one the XY pane uses) when it has one, else the range common to all frames received ({min, max}, 1/pixel).
// pageWindow: {min, max, hasSamples}; headers: the sweep frames' headers (value_min, value_max).
export function stripWindow(pageWindow, headers) {
  if (pageWindow?.hasSamples && pageWindow.max > pageWindow.min) return { min: pageWindow.min, max: pageWindow.max };
  let min = Infinity;
  let max = -Infinity;
  for (const h of headers) {
    min = Math.min(min, h.value_min);
    max = Math.max(max, h.value_max);
  }
  if (!Number.isFinite(min) || !Number.isFinite(max)) return { min: 0, max: 1 };
  if (!(max > min)) max = min + Math.max(Math.abs(min) * 1e-3, 1e-9);
  return { min, max };
}
