// Where the slices cut each other, in the conventions of PROTOCOL.md section 8. Pure functions.
//
// A pane shows one full-resolution slice of [rows, cols] pixels. Positions inside it are continuous (u, v) =
// (column, row) with pixel centres at integer values. With N = detector columns and half = (N - 1) / 2:
// - XY (N x N at detector row xy_row): column u is x = u - half, row v is y = half - v.
// - XZ (rows x N at y = xz_y_px): column u is x = u - half, row v is detector row v.
// - YZ (rows x N at x = yz_x_px): column u is y = u - half, row v is detector row v.

export const SLICE_NAMES = ["xy", "xz", "yz"];

// The lines where the other two slices cut pane `name`: [{slice, axis: "u" | "v", at}], `at` in pane coordinates.
// positions: {xy_row, xz_y_px, yz_x_px}; cols: detector columns N.
export function crosshairLines(name, positions, cols) {
  const half = (cols - 1) / 2;
  switch (name) {
    case "xy":
      return [
        { slice: "yz", axis: "u", at: positions.yz_x_px + half },
        { slice: "xz", axis: "v", at: half - positions.xz_y_px },
      ];
    case "xz":
      return [
        { slice: "yz", axis: "u", at: positions.yz_x_px + half },
        { slice: "xy", axis: "v", at: positions.xy_row },
      ];
    case "yz":
      return [
        { slice: "xz", axis: "u", at: positions.xz_y_px + half },
        { slice: "xy", axis: "v", at: positions.xy_row },
      ];
    default:
      throw new Error(`unknown slice ${name}`);
  }
}

// The set_slices fields that move the other two slices through point (u, v) of pane `name`, clamped to the
// reconstruction: |x|, |y| <= half, 0 <= xy_row <= rows - 1. Positions are rounded to 0.1 pixel.
export function slicesThrough(name, u, v, rows, cols) {
  const half = (cols - 1) / 2;
  const lateral = (value) => Math.round(Math.min(half, Math.max(-half, value)) * 10) / 10 + 0;
  const row = Math.min(rows - 1, Math.max(0, Math.round(v)));
  switch (name) {
    case "xy":
      return { yz_x_px: lateral(u - half), xz_y_px: lateral(half - v) };
    case "xz":
      return { xy_row: row, yz_x_px: lateral(u - half) };
    case "yz":
      return { xy_row: row, xz_y_px: lateral(u - half) };
    default:
      throw new Error(`unknown slice ${name}`);
  }
}

// Physical description of point (u, v) of pane `name`: {x, y, row} in pixels from the axis / detector row; the
// coordinate fixed by the slice comes from `positions`.
export function pointCoordinates(name, u, v, positions, cols) {
  const half = (cols - 1) / 2;
  switch (name) {
    case "xy":
      return { x: u - half, y: half - v, row: positions.xy_row };
    case "xz":
      return { x: u - half, y: positions.xz_y_px, row: v };
    case "yz":
      return { x: positions.yz_x_px, y: u - half, row: v };
    default:
      throw new Error(`unknown slice ${name}`);
  }
}
