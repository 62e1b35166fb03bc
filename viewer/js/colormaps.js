// Colormaps as 256-entry lookup tables of packed RGBA pixels, ready to be written into an ImageData's Uint32 view.
//
// Each map is a list of evenly spaced sRGB control points, interpolated linearly per channel. The perceptually
// uniform maps use the 10-colour palettes published with the viridis family (van der Walt and Smith's matplotlib
// colormaps, as tabulated by the R package viridisLite: viridis(10), inferno(10), plasma(10)); linear interpolation
// between ten points stays within a few levels of the 256-entry originals.

const CONTROL_POINTS = {
  gray: ["000000", "ffffff"],
  viridis: ["440154", "482878", "3e4a89", "31688e", "26828e", "1f9e89", "35b779", "6dcd59", "b4de2c", "fde725"],
  inferno: ["000004", "1b0c42", "4b0c6b", "781c6d", "a52c60", "cf4446", "ed6925", "fb9a06", "f7d03c", "fcffa4"],
  plasma: ["0d0887", "47039f", "7301a8", "9c179e", "bd3786", "d8576b", "ed7953", "fa9e3b", "fdc926", "f0f921"],
};

export const COLORMAP_NAMES = Object.keys(CONTROL_POINTS);
export const LUT_SIZE = 256;

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const cache = new Map();

function parseHex(hex) {
  return [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16));
}

function pack(r, g, b) {
  return LITTLE_ENDIAN_HOST ? ((255 << 24) | (b << 16) | (g << 8) | r) >>> 0 : ((r << 24) | (g << 16) | (b << 8) | 255) >>> 0;
}

// [r, g, b] (0..255 each) of entry i of the named map.
export function colormapRgb(name, i) {
  const points = CONTROL_POINTS[name].map(parseHex);
  const t = (i / (LUT_SIZE - 1)) * (points.length - 1);
  const k = Math.min(Math.floor(t), points.length - 2);
  const f = t - k;
  return [0, 1, 2].map((c) => Math.round(points[k][c] + f * (points[k + 1][c] - points[k][c])));
}

// The named map as a Uint32Array of LUT_SIZE packed RGBA pixels (opaque). Tables are built once and shared: do not
// modify them. Throws for an unknown name.
export function colormapLut(name) {
  if (!(name in CONTROL_POINTS)) throw new Error(`unknown colormap ${JSON.stringify(name)}; have ${COLORMAP_NAMES}`);
  let lut = cache.get(name);
  if (!lut) {
    lut = new Uint32Array(LUT_SIZE);
    for (let i = 0; i < LUT_SIZE; ++i) lut[i] = pack(...colormapRgb(name, i));
    cache.set(name, lut);
  }
  return lut;
}

// A CSS linear-gradient showing the map, for the colormap legend.
export function colormapGradient(name) {
  const stops = CONTROL_POINTS[name].map((hex, i, all) => `#${hex} ${(100 * i) / (all.length - 1)}%`);
  return `linear-gradient(to right, ${stops.join(", ")})`;
}
