// Decodes the binary slice messages of PROTOCOL.md section 14.3 ("TLS1"): the live slices ("slice" xy, xz, yz, and
// oblique while shown) and the candidate images of a center or processing sweep ("slice" = "sweep", with sweep_id,
// index, count).
//
// Layout, little-endian: bytes 0..3 the ASCII magic "TLS1"; bytes 4..7 uint32 H, the length of the JSON header;
// H bytes of UTF-8 JSON; zero padding up to the next multiple of 8 from the start of the message; then
// data_shape[0] x data_shape[1] uint16 values, row-major: the header's region cut into blocks of binning x binning
// pixels (partial at the bottom and right edges), each averaged. A value q stands for
// value_min + q / 65535 x (value_max - value_min), in 1/pixel; q = 0 also marks non-finite values.
//
// Pure functions, no DOM.

const MAGIC = "TLS1";
const HEADER_OFFSET = 8;
const ALIGNMENT = 8;
export const QUANT_MAX = 65535;

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const utf8 = new TextDecoder("utf-8", { fatal: true });

// Returns { header, data } where data is a Uint16Array of data_shape[0] x data_shape[1] quantized values (a view
// into `buffer` on little-endian hosts). Throws an Error that says what is wrong for a malformed message.
export function decodeSliceMessage(buffer) {
  if (!(buffer instanceof ArrayBuffer)) throw new Error("slice message: expected an ArrayBuffer");
  if (buffer.byteLength < HEADER_OFFSET) {
    throw new Error(`slice message of ${buffer.byteLength} bytes is shorter than the 8-byte prefix`);
  }
  const bytes = new Uint8Array(buffer);
  const magic = String.fromCharCode(bytes[0], bytes[1], bytes[2], bytes[3]);
  if (magic !== MAGIC) throw new Error(`slice message: magic ${JSON.stringify(magic)}, expected "${MAGIC}"`);
  const headerLength = new DataView(buffer).getUint32(4, true);
  if (HEADER_OFFSET + headerLength > buffer.byteLength) {
    throw new Error(`slice message: header of ${headerLength} bytes overruns the ${buffer.byteLength}-byte message`);
  }
  const header = JSON.parse(utf8.decode(bytes.subarray(HEADER_OFFSET, HEADER_OFFSET + headerLength)));
  validateHeader(header);

  const dataOffset = Math.ceil((HEADER_OFFSET + headerLength) / ALIGNMENT) * ALIGNMENT;
  const [rows, cols] = header.data_shape;
  const count = rows * cols;
  const expectedBytes = dataOffset + count * 2;
  if (buffer.byteLength !== expectedBytes) {
    throw new Error(`slice message: ${buffer.byteLength} bytes, expected ${expectedBytes} ` +
                    `(data at offset ${dataOffset}, ${rows} x ${cols} uint16)`);
  }
  let data;
  if (LITTLE_ENDIAN_HOST) {
    data = new Uint16Array(buffer, dataOffset, count);
  } else {
    const view = new DataView(buffer, dataOffset, count * 2);
    data = new Uint16Array(count);
    for (let i = 0; i < count; ++i) data[i] = view.getUint16(2 * i, true);
  }
  return { header, data };
}

function validateHeader(header) {
  if (header === null || typeof header !== "object") throw new Error("slice message: header is not a JSON object");
  if (!["xy", "xz", "yz", "oblique", "sweep"].includes(header.slice)) {
    throw new Error(`slice message: "slice" is ${JSON.stringify(header.slice)}, expected xy, xz, yz, oblique or sweep`);
  }
  if (header.encoding !== "uint16_linear") {
    throw new Error(`slice message: encoding ${JSON.stringify(header.encoding)}, expected "uint16_linear"`);
  }
  const isCount = (n) => Number.isInteger(n) && n >= 0;
  const isShape = (s, n) => Array.isArray(s) && s.length === n && s.every(isCount);
  if (!isShape(header.shape, 2)) throw new Error("slice message: \"shape\" must be [rows, cols]");
  if (!isShape(header.data_shape, 2)) throw new Error("slice message: \"data_shape\" must be [rows, cols]");
  if (!isShape(header.region, 4)) throw new Error("slice message: \"region\" must be [row0, col0, rows, cols]");
  if (!Number.isFinite(header.value_min) || !Number.isFinite(header.value_max)) {
    throw new Error("slice message: value_min and value_max must be finite numbers");
  }
}

// The value (1/pixel) that quantized value q stands for under `header`.
export function dequantize(header, q) {
  return header.value_min + (q / QUANT_MAX) * (header.value_max - header.value_min);
}

// All values of a decoded message as a Float32Array (1/pixel), for tests and readouts.
export function dequantizeAll(header, data) {
  const out = new Float32Array(data.length);
  const scale = (header.value_max - header.value_min) / QUANT_MAX;
  for (let i = 0; i < data.length; ++i) out[i] = header.value_min + data[i] * scale;
  return out;
}
