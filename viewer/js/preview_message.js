// Decodes the binary preview chunks of PROTOCOL.md section 14.6 ("TLV1"): layers [layer0, layer0 + count) of the
// live 3D preview, shape [layers, rows, cols] voxels, quantized to 8 bits.
//
// Layout, little-endian: bytes 0..3 the ASCII magic "TLV1"; bytes 4..7 uint32 H, the length of the JSON header;
// H bytes of UTF-8 JSON; zero padding up to the next multiple of 8 from the start of the message; then
// count x rows x cols uint8 values, layer-major then row-major. A value q stands for
// value_min + q / 255 x (value_max - value_min), in 1/pixel; q = 0 also marks non-finite values.
//
// Pure functions, no DOM.

const MAGIC = "TLV1";
const HEADER_OFFSET = 8;
const ALIGNMENT = 8;
export const PREVIEW_QUANT_MAX = 255;

const utf8 = new TextDecoder("utf-8", { fatal: true });

// Whether a binary message is a preview chunk (else a slice message, slice_message.js).
export function isPreviewMessage(buffer) {
  if (!(buffer instanceof ArrayBuffer) || buffer.byteLength < 4) return false;
  const b = new Uint8Array(buffer, 0, 4);
  return String.fromCharCode(b[0], b[1], b[2], b[3]) === MAGIC;
}

// Returns { header, data } where data is a Uint8Array view of the chunk's voxels. Throws an Error that says what is
// wrong for a malformed message.
export function decodePreviewMessage(buffer) {
  if (!isPreviewMessage(buffer) || buffer.byteLength < HEADER_OFFSET) {
    throw new Error(`preview message: expected the magic "${MAGIC}" and an 8-byte prefix`);
  }
  const headerLength = new DataView(buffer).getUint32(4, true);
  if (HEADER_OFFSET + headerLength > buffer.byteLength) {
    throw new Error(`preview message: header of ${headerLength} bytes overruns the ${buffer.byteLength}-byte message`);
  }
  const header = JSON.parse(utf8.decode(new Uint8Array(buffer, HEADER_OFFSET, headerLength)));
  const shapeOk = Array.isArray(header.shape) && header.shape.length === 3 &&
                  header.shape.every((n) => Number.isInteger(n) && n > 0);
  const layersOk = Array.isArray(header.layers) && header.layers.length === 2 &&
                   header.layers.every((n) => Number.isInteger(n) && n >= 0);
  if (header.type !== "preview" || !shapeOk || !layersOk || header.layers[0] + header.layers[1] > header.shape[0] ||
      !Number.isFinite(header.value_min) || !Number.isFinite(header.value_max)) {
    throw new Error(`preview message: bad header ${JSON.stringify(header)}`);
  }
  const dataOffset = Math.ceil((HEADER_OFFSET + headerLength) / ALIGNMENT) * ALIGNMENT;
  const count = header.layers[1] * header.shape[1] * header.shape[2];
  if (buffer.byteLength !== dataOffset + count) {
    throw new Error(`preview message: ${buffer.byteLength} bytes, expected ${dataOffset + count} ` +
                    `(data at offset ${dataOffset}, ${header.layers[1]} layers of ${header.shape[1]} x ` +
                    `${header.shape[2]} uint8)`);
  }
  return { header, data: new Uint8Array(buffer, dataOffset, count) };
}

// The chunk's values in 1/pixel, as a Float32Array (non-finite voxels, q = 0, read as value_min).
export function dequantizePreview(header, data) {
  const scale = (header.value_max - header.value_min) / PREVIEW_QUANT_MAX;
  const out = new Float32Array(data.length);
  for (let k = 0; k < data.length; ++k) out[k] = header.value_min + data[k] * scale;
  return out;
}
