// Where the slices cut each other, in the conventions of PROTOCOL.md section 8. Pure functions.
//
// A pane shows one full-resolution slice of [rows, cols] pixels. Positions inside it are continuous (u, v) =
// (column, row) with pixel centres at integer values. With N = detector columns and half = (N - 1) / 2:
// - XY (N x N at detector row xy_row): column u is x = u - half, row v is y = half - v.
// - XZ (rows x N at y = xz_y_px): column u is x = u - half, row v is detector row v.
// - YZ (rows x N at x = yz_x_px): column u is y = u - half, row v is detector row v.
// The oblique slice (PROTOCOL.md 10.9) is the plane of unit normal n = [x, y, z] (z along detector rows) at offset d
// from the volume's centre (0, 0, (rows - 1) / 2): the points with n . (p - centre) = d.

export const ORTHOSLICE_NAMES = ["xy", "xz", "yz"];
export const SLICE_NAMES = [...ORTHOSLICE_NAMES, "oblique"];

// The lines where the other two slices cut pane `name`: [{slice, axis: "u" | "v", at}], `at` in pane coordinates
// (none in the oblique pane). positions: {xy_row, xz_y_px, yz_x_px}; cols: detector columns N.
export function crosshairLines(name, positions, cols) {
  const half = (cols - 1) / 2;
  switch (name) {
    case "oblique":
      return [];
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

// The normal of orthoslice `name`'s plane, [x, y, z].
export function paneNormal(name) {
  return { xy: [0, 0, 1], xz: [0, 1, 0], yz: [1, 0, 0] }[name];
}

// The volume point [x, y, z] (z: detector row) of point (u, v) of orthoslice pane `name`.
export function volumePoint(name, u, v, positions, cols) {
  const p = pointCoordinates(name, u, v, positions, cols);
  return [p.x, p.y, p.row];
}

// The set_oblique_slice points of a tilt drag in orthoslice pane `name` from (u, v) = `from` to `to`: the plane holds
// the dragged segment and the pane's normal, so its trace in the pane follows the drag. Nine numbers (three points
// [x, y, z]), or null when the drag is shorter than a pixel.
export function tiltPoints(name, from, to, positions, cols) {
  if (Math.hypot(to[0] - from[0], to[1] - from[1]) < 1) return null;
  const a = volumePoint(name, from[0], from[1], positions, cols);
  const b = volumePoint(name, to[0], to[1], positions, cols);
  const n = paneNormal(name);
  const c = [a[0] + n[0], a[1] + n[1], a[2] + n[2]];
  return [...a, ...b, ...c].map((value) => Math.round(value * 100) / 100 + 0);
}

// Where the oblique plane cuts orthoslice pane `name`: {a, b, c} with a u + b v + c = 0 in pane coordinates, or null
// when the plane is parallel to the pane (or no plane is given). oblique: {normal, offset_px}; dims: {rows, cols}.
export function obliqueTrace(name, positions, dims, oblique) {
  if (!oblique || !positions || !dims) return null;
  const [nx, ny, nz] = oblique.normal;
  const middle = (dims.rows - 1) / 2;
  const f = (u, v) => {
    const [x, y, z] = volumePoint(name, u, v, positions, dims.cols);
    return nx * x + ny * y + nz * (z - middle) - oblique.offset_px;
  };
  const c = f(0, 0);
  const a = f(1, 0) - c;
  const b = f(0, 1) - c;
  if (Math.abs(a) < 1e-9 && Math.abs(b) < 1e-9) return null;
  return { a, b, c };
}
