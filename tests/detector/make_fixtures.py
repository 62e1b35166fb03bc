#!/usr/bin/python3
"""Writes the detector-stream test fixtures into a directory, with independent encoders only: python3-cbor2 (CBOR),
Debian's python3-bitshuffle (bitshuffle + LZ4 blocks) and python3-lz4 (LZ4 blocks). Only the framings the specs
define in a few lines (the 12-byte HDF5-filter header and per-block big-endian sizes, ZeroMQ parts) are written
here.

Each fixture NAME is
  NAME.msg    the multipart message: uint32 LE part count, then per part a uint64 LE size and its bytes;
  NAME.json   what decoding must give: {"format", "kind": start|image|end|ignored|error, ...} (see below), and
              "decode_options" ({"dectris_channel"}) when the fixture is decoded with options;
  NAME.pixels for images, the decoded pixels (row-major, little-endian).
Bitshuffle blocks alone are written as bitshuffle_E_N.in / .out (elem size E bytes, N elements, one block).

Usage: make_fixtures.py OUTPUT_DIR  (tests/fuzz/make_seeds.py imports it for its encoders)
"""
import datetime
import json
import pathlib
import struct
import sys

import bitshuffle
import cbor2
import lz4.block
import numpy as np

SELF_DESCRIBE = 55799
DECTRIS_COMPRESSION = 56500
MULTI_DIM = 40
TYPED_ARRAY_TAG = {np.dtype("uint8"): 64, np.dtype("<u2"): 69, np.dtype("<u4"): 70, np.dtype("<f4"): 85}
DTYPE_NAME = {np.dtype("uint8"): "uint8", np.dtype("<u2"): "uint16", np.dtype("<u4"): "uint32",
              np.dtype("<f4"): "float32"}

out_dir = pathlib.Path(".")  # set by write_all
rng = np.random.default_rng(14)


def write(name, parts, expect, pixels=None):
    blob = struct.pack("<I", len(parts))
    for part in parts:
        part = bytes(part)
        blob += struct.pack("<Q", len(part)) + part
    (out_dir / f"{name}.msg").write_bytes(blob)
    (out_dir / f"{name}.json").write_text(json.dumps(expect, indent=1, sort_keys=True))
    if pixels is not None:
        (out_dir / f"{name}.pixels").write_bytes(np.ascontiguousarray(pixels).tobytes())


def image(rows, cols, dtype):
    """A detector-like image: a smooth background, noise, a few hot pixels; values use the dtype's high bits."""
    dtype = np.dtype(dtype)
    y, x = np.mgrid[0:rows, 0:cols]
    top = 200.0 if dtype.itemsize == 1 else 40000.0
    base = top * (0.3 + 0.2 * np.sin(x / 7.0) * np.cos(y / 5.0))
    values = base + rng.normal(0.0, 0.02 * top, size=(rows, cols))
    values[rng.integers(0, rows, 3), rng.integers(0, cols, 3)] = top
    if dtype.itemsize == 4 and dtype.kind == "u":
        values *= 50000.0  # use bits above 16
    return np.clip(values, 0, None).astype(dtype)


def bslz4(pixels, block_size=0):
    """bitshuffle HDF5-filter framing: uint64 BE total bytes, uint32 BE block bytes, then bitshuffle's blocks."""
    flat = np.ascontiguousarray(pixels).reshape(-1)
    if block_size == 0:  # bitshuffle's default: 8 KiB, a multiple of 8 elements, at least 128
        block_size = max(8192 // flat.itemsize // 8 * 8, 128)
    body = bitshuffle.compress_lz4(flat, block_size).tobytes()
    return struct.pack(">QI", flat.nbytes, block_size * flat.itemsize) + body


def lz4_hdf5(data, block_bytes):
    """HDF5 LZ4 filter framing; a block LZ4 cannot shrink is stored raw."""
    data = bytes(data)
    out = struct.pack(">QI", len(data), block_bytes)
    for start in range(0, len(data), block_bytes):
        block = data[start:start + block_bytes]
        packed = lz4.block.compress(block, store_size=False)
        if len(packed) >= len(block):
            packed = block
        out += struct.pack(">I", len(packed)) + packed
    return out


def cbor(message):
    return cbor2.dumps(cbor2.CBORTag(SELF_DESCRIBE, message))


def typed(pixels, compression=None):
    """tag 40 [[rows, cols], typed array], the typed array's bytes optionally inside tag 56500."""
    raw = np.ascontiguousarray(pixels).astype(pixels.dtype.newbyteorder("<"))
    payload = raw.tobytes()
    if compression == "bslz4":
        payload = cbor2.CBORTag(DECTRIS_COMPRESSION, ["bslz4", raw.itemsize, bslz4(raw)])
    elif compression == "lz4":
        payload = cbor2.CBORTag(DECTRIS_COMPRESSION, ["lz4", 0, lz4_hdf5(payload, 8192)])
    return cbor2.CBORTag(MULTI_DIM, [list(pixels.shape), cbor2.CBORTag(TYPED_ARRAY_TAG[raw.dtype], payload)])


def expect_image(fmt, pixels, compression, series_id, image_id, user_data=None, **extra):
    result = {"format": fmt, "kind": "image", "rows": int(pixels.shape[0]), "cols": int(pixels.shape[1]),
              "dtype": DTYPE_NAME[pixels.dtype], "compression": compression, "series_id": series_id,
              "image_id": image_id, "user_data": user_data}
    result.update(extra)
    return result


def epoch_ns(text):
    """An RFC 3339 date as ns since the Unix epoch, by Python's datetime (independent of the decoders)."""
    when = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    delta = when - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    return (delta.days * 86400 + delta.seconds) * 10**9 + delta.microseconds * 1000


def error(fmt, code, contains):
    return {"format": fmt, "kind": "error", "code": code, "contains": contains}


def write_all(directory):
    global out_dir, rng
    out_dir = pathlib.Path(directory)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(14)

    # --- bitshuffle blocks alone ---
    for elem_size, dtype in ((1, "uint8"), (2, "<u2"), (4, "<u4")):
        for count in (8, 64, 128, 264, 4096):
            values = image(1, count, dtype).reshape(-1)
            (out_dir / f"bitshuffle_{elem_size}_{count}.out").write_bytes(values.tobytes())
            (out_dir / f"bitshuffle_{elem_size}_{count}.in").write_bytes(bitshuffle.bitshuffle(values, count).tobytes())

    # --- DECTRIS Stream V2 ---
    mask = np.zeros((24, 40), dtype="<u4")
    mask[3, 5] = 1
    mask[10, 0:3] = 4
    mask[20, 39] = 0x80000000
    start = {
        "type": "start", "series_id": 7, "series_unique_id": "series-7", "number_of_images": 180,
        "image_size_x": 40, "image_size_y": 24, "channels": ["threshold_1"], "count_time": 0.001,
        "arm_date": cbor2.CBORTag(0, "2026-12-07T10:00:00Z"), "beam_center_x": 20.5, "beam_center_y": 12.0,
        "goniometer": {"omega": {"start": 10.0, "increment": 0.5}, "kappa": {"start": 0.0, "increment": 0.0}},
        "pixel_mask": {"threshold_1": typed(mask, "bslz4")}, "pixel_mask_enabled": True,
        "threshold_energy": {"threshold_1": 4000.0},
        "user_data": {"image_key": "projection", "n_projections": 180, "angle_range_deg": 180.0,
                      "note": [1, 2.5, None]},
        "a_future_key": {"nested": [1, 2, 3]},
    }
    write("dectris2_start", [cbor(start)],
          {"format": "dectris2", "kind": "start", "series_id": 7, "series_unique_id": "series-7",
           "number_of_images": 180, "image_rows": 24, "image_cols": 40, "omega_start_deg": 10.0,
           "omega_increment_deg": 0.5, "user_data": start["user_data"], "mask_rows": 24, "mask_cols": 40,
           "masked": [[3, 5], [10, 0], [10, 1], [10, 2], [20, 39]], "channels": ["threshold_1"],
           "ignored_keys": ["count_time", "arm_date", "beam_center_x", "beam_center_y", "pixel_mask_enabled",
                            "threshold_energy", "a_future_key"]})
    # Two thresholds: the mask of the channel asked for is taken.
    mask_2 = np.zeros((24, 40), dtype="<u4")
    mask_2[7, 7] = 2
    two_masks = {"type": "start", "series_id": 9, "series_unique_id": "", "channels": ["threshold_1", "threshold_2"],
                 "pixel_mask": {"threshold_1": typed(mask, "bslz4"), "threshold_2": typed(mask_2, "bslz4")}}
    write("dectris2_start_channel_2", [cbor(two_masks)],
          {"format": "dectris2", "kind": "start", "series_id": 9, "series_unique_id": "", "user_data": None,
           "mask_rows": 24, "mask_cols": 40, "masked": [[7, 7]], "channels": ["threshold_1", "threshold_2"],
           "decode_options": {"dectris_channel": "threshold_2"}})
    write("dectris2_bad_start_channel_absent", [cbor(two_masks)],
          dict(error("dectris2", "missing_field", "no channel \"threshold_3\""),
               decode_options={"dectris_channel": "threshold_3"}))
    start_basic = {"type": "start", "series_id": 8, "series_unique_id": "", "channels": ["threshold_1"]}
    write("dectris2_start_basic", [cbor(start_basic)],
          {"format": "dectris2", "kind": "start", "series_id": 8, "series_unique_id": "", "user_data": None,
           "channels": ["threshold_1"]})

    for compression, dtype, shape in (("bslz4", "<u2", (24, 40)), ("bslz4", "uint8", (17, 23)),
                                      ("bslz4", "<u4", (9, 31)),
                                      ("lz4", "<u2", (24, 40)), ("lz4", "<u4", (33, 70)), ("none", "<u2", (5, 6)),
                                      ("none", "<f4", (4, 3))):
        pixels = image(*shape, dtype)
        name = f"dectris2_image_{compression}_{DTYPE_NAME[pixels.dtype]}"
        message = {"type": "image", "series_id": 7, "series_unique_id": "series-7", "image_id": 3,
                   "real_time": [1000, 100000], "start_time": [0, 100000], "stop_time": [1000, 100000],
                   "series_date": cbor2.CBORTag(0, "2026-12-07T10:00:00Z"),
                   "data": {"threshold_1": typed(pixels, None if compression == "none" else compression)},
                   "user_data": {"image_key": "dark"}}
        write(name, [cbor(message)],
              expect_image("dectris2", pixels, compression, 7, 3, {"image_key": "dark"}, channel="threshold_1",
                           channels=["threshold_1"], timestamp_ns=epoch_ns("2026-12-07T10:00:00Z"),
                           ignored_keys=["real_time", "stop_time"]), pixels)

    # The exposure's start: series_date (with a fraction and an offset) + start_time (a rational, 1.5 ms).
    stamped = (np.arange(48, dtype="<u2") * 997).reshape(6, 8)  # no draw from rng: later fixtures stay as they were
    write("dectris2_image_timestamp",
          [cbor({"type": "image", "series_id": 7, "image_id": 4, "start_time": [150, 100000],
                 "stop_time": [250, 100000], "series_date": cbor2.CBORTag(0, "2026-12-07T11:00:00.25+01:00"),
                 "data": {"threshold_1": typed(stamped, "bslz4")}})],
          expect_image("dectris2", stamped, "bslz4", 7, 4, channel="threshold_1", channels=["threshold_1"],
                       timestamp_ns=epoch_ns("2026-12-07T10:00:00.25Z") + 1500000), stamped)
    write("dectris2_bad_series_date",
          [cbor({"type": "image", "series_id": 7, "image_id": 4, "start_time": [0, 1],
                 "series_date": cbor2.CBORTag(0, "yesterday"), "data": {"threshold_1": typed(stamped, "bslz4")}})],
          error("dectris2", "invalid_field", "series_date"))
    write("dectris2_bad_start_time",
          [cbor({"type": "image", "series_id": 7, "image_id": 4, "start_time": [5, 0],
                 "data": {"threshold_1": typed(stamped, "bslz4")}})],
          error("dectris2", "invalid_field", "start_time"))

    # An incompressible image (noise over all 16 bits): the lz4 framing stores its blocks raw.
    noise = rng.integers(0, 65536, size=(32, 64), dtype=np.uint16)
    write("dectris2_image_lz4_raw_blocks",
          [cbor({"type": "image", "series_id": 7, "image_id": 0,
                 "data": {"threshold_1": typed(noise.astype("<u2"), "lz4")}})],
          expect_image("dectris2", noise.astype("<u2"), "lz4", 7, 0, channel="threshold_1", channels=["threshold_1"]),
          noise)
    # Two channels: the first of the data map is the image unless another is asked for; one that is absent is
    # refused, naming the channels there are.
    two = image(6, 8, "<u2")
    two_channels = [cbor({"type": "image", "series_id": 7, "image_id": 1,
                          "data": {"threshold_1": typed(two, "bslz4"), "threshold_2": typed(two // 2, "bslz4")}})]
    write("dectris2_image_two_channels", two_channels,
          expect_image("dectris2", two, "bslz4", 7, 1, channel="threshold_1", channels=["threshold_1", "threshold_2"]),
          two)
    write("dectris2_image_channel_2", two_channels,
          expect_image("dectris2", two // 2, "bslz4", 7, 1, channel="threshold_2",
                       channels=["threshold_1", "threshold_2"], decode_options={"dectris_channel": "threshold_2"}),
          two // 2)
    write("dectris2_bad_channel_absent", two_channels,
          dict(error("dectris2", "missing_field", "it has \"threshold_1\", \"threshold_2\""),
               decode_options={"dectris_channel": "threshold_3"}))
    write("dectris2_end", [cbor({"type": "end", "series_id": 7, "series_unique_id": "series-7"})],
          {"format": "dectris2", "kind": "end", "series_id": 7, "ignored_keys": []})
    write("dectris2_end_unknown_key", [cbor({"type": "end", "series_id": 7, "end_reason": "disarm"})],
          {"format": "dectris2", "kind": "end", "series_id": 7, "ignored_keys": ["end_reason"]})
    # Without the self-describe tag (cbor2.dumps of the bare map): detected as Stream V2 all the same (16.1).
    write("dectris2_untagged_start", [cbor2.dumps(start_basic)],
          {"format": "dectris2", "kind": "start", "series_id": 8, "series_unique_id": "", "user_data": None,
           "channels": ["threshold_1"]})
    write("dectris2_untagged_image",
          [cbor2.dumps({"type": "image", "series_id": 8, "image_id": 0, "data": {"threshold_1": typed(stamped, "lz4")}})],
          expect_image("dectris2", stamped, "lz4", 8, 0, channel="threshold_1", channels=["threshold_1"]), stamped)
    write("dectris2_untagged_end", [cbor2.dumps({"type": "end", "series_id": 8})],
          {"format": "dectris2", "kind": "end", "series_id": 8})

    # Bad Stream V2 messages: each must be refused with the code and a message naming the problem.
    good_pixels = image(24, 40, "<u2")
    good_image = {"type": "image", "series_id": 7, "image_id": 3, "data": {"threshold_1": typed(good_pixels, "bslz4")}}
    good_bytes = cbor(good_image)
    write("dectris2_bad_truncated", [good_bytes[:len(good_bytes) // 2]], error("dectris2", "malformed_header", "CBOR"))
    write("dectris2_bad_unknown_type", [cbor({"type": "calibration", "series_id": 7})],
          error("dectris2", "unknown_type", "calibration"))
    write("dectris2_bad_no_type", [cbor({"series_id": 7})], error("dectris2", "missing_field", "type"))
    # A huge type of multi-byte characters: the message echoes it cut short, still valid UTF-8.
    write("dectris2_bad_long_type", [cbor({"type": "\u00e9" * 1000, "series_id": 7})],
          error("dectris2", "unknown_type", "..."))
    write("dectris2_bad_not_a_map", [cbor([1, 2, 3])], error("dectris2", "malformed_header", "map"))
    write("dectris2_bad_series_id_text", [cbor({"type": "end", "series_id": "seven"})],
          error("dectris2", "wrong_field_type", "series_id"))
    write("dectris2_bad_multidim_tag",
          [cbor({"type": "image", "series_id": 7, "image_id": 0,
                 "data": {"threshold_1": cbor2.CBORTag(41, [[24, 40], cbor2.CBORTag(69, good_pixels.tobytes())])}})],
          error("dectris2", "wrong_field_type", "tag 41"))
    write("dectris2_bad_signed_pixels",
          [cbor({"type": "image", "series_id": 7, "image_id": 0,
                 "data": {"threshold_1": cbor2.CBORTag(40, [[24, 40], cbor2.CBORTag(77, good_pixels.tobytes())])}})],
          error("dectris2", "bad_dtype", "77"))
    write("dectris2_bad_compression_name",
          [cbor({"type": "image", "series_id": 7, "image_id": 0,
                 "data": {"threshold_1": cbor2.CBORTag(40, [[24, 40], cbor2.CBORTag(69, cbor2.CBORTag(
                     DECTRIS_COMPRESSION, ["zstd", 2, b"1234"]))])}})],
          error("dectris2", "wrong_field_type", "zstd"))
    write("dectris2_bad_elem_size",
          [cbor({"type": "image", "series_id": 7, "image_id": 0,
                 "data": {"threshold_1": cbor2.CBORTag(40, [[24, 40], cbor2.CBORTag(69, cbor2.CBORTag(
                     DECTRIS_COMPRESSION, ["bslz4", 4, bslz4(good_pixels)]))])}})],
          error("dectris2", "bad_dtype", "elem"))
    write("dectris2_bad_shape_vs_bytes",
          [cbor({"type": "image", "series_id": 7, "image_id": 0,
                 "data": {"threshold_1": cbor2.CBORTag(40, [[24, 41], cbor2.CBORTag(69, good_pixels.tobytes())])}})],
          error("dectris2", "size_mismatch", "24 x 41"))
    write("dectris2_bad_no_data", [cbor({"type": "image", "series_id": 7, "image_id": 0})],
          error("dectris2", "missing_field", "data"))
    write("dectris2_bad_two_parts", [cbor({"type": "end", "series_id": 7}), b"extra"],
          error("dectris2", "malformed_header", "2 parts"))
    write("dectris2_bad_trailing_bytes", [cbor({"type": "end", "series_id": 7}) + b"\x01"],
          error("dectris2", "malformed_header", "after"))

    # Pixel-level lies (the message decodes; decode_pixels refuses): kind "pixel_error".
    def pixel_error(name, payload, code, contains, compression="bslz4"):
        modifier = 2 if compression == "bslz4" else 0
        compressed = cbor2.CBORTag(DECTRIS_COMPRESSION, [compression, modifier, payload])
        data = cbor2.CBORTag(40, [[24, 40], cbor2.CBORTag(69, compressed)])
        write(name, [cbor({"type": "image", "series_id": 7, "image_id": 0, "data": {"threshold_1": data}})],
              {"format": "dectris2", "kind": "pixel_error", "code": code, "contains": contains})

    good_bslz4 = bslz4(good_pixels)
    first_block = struct.unpack(">I", good_bslz4[12:16])[0]
    lying = bytearray(good_bslz4)
    lying[12:16] = struct.pack(">I", first_block + 100000)
    pixel_error("dectris2_pixels_size_lies", bytes(lying), "size_mismatch", "claims")
    short_block = bytearray(good_bslz4)
    short_block[12:16] = struct.pack(">I", first_block - 3)
    pixel_error("dectris2_pixels_block_wrong_length", bytes(short_block), "size_mismatch", "block 0")
    wrong_total = bytearray(good_bslz4)
    wrong_total[0:8] = struct.pack(">Q", 24 * 40 * 2 + 2)
    pixel_error("dectris2_pixels_wrong_total", bytes(wrong_total), "size_mismatch", "header says")
    pixel_error("dectris2_pixels_trailing", good_bslz4 + b"\x00\x00", "size_mismatch", "left over")
    pixel_error("dectris2_pixels_truncated", good_bslz4[:40], "size_mismatch", "block")
    # A block that decompresses to fewer bytes than the framing promises.
    small = lz4.block.compress(good_pixels.tobytes()[:1000], store_size=False)
    pixel_error("dectris2_pixels_lz4_short_block",
                struct.pack(">QI", 24 * 40 * 2, 24 * 40 * 2) + struct.pack(">I", len(small)) + small,
                "size_mismatch", "decompressed to 1000", compression="lz4")

    # --- DECTRIS Stream V1 ---
    def js(value):
        return json.dumps(value).encode()


    config = {"nimages": 90, "ntrigger": 2, "x_pixels_in_detector": 40, "y_pixels_in_detector": 24,
              "omega_start": -5.0, "omega_increment": 0.25, "bit_depth_image": 16, "count_time": 0.001,
              "description": "Dectris EIGER2 Si 500K", "data_collection_date": "2026-12-07T11:00:00.125+01:00"}
    appendix = {"image_key": "flat", "scan_unique_id": "scan-1", "n_flats": 4}
    write("dectris1_header_none", [js({"htype": "dheader-1.0", "series": 3, "header_detail": "none"})],
          {"format": "dectris1", "kind": "start", "series_id": 3, "series_unique_id": "", "user_data": None})
    write("dectris1_header_basic",
          [js({"htype": "dheader-1.0", "series": 3, "header_detail": "basic"}), js(config), js(appendix)],
          {"format": "dectris1", "kind": "start", "series_id": 3, "series_unique_id": "", "number_of_images": 180,
           "image_rows": 24, "image_cols": 40, "dtype": "uint16", "omega_start_deg": -5.0, "omega_increment_deg": 0.25,
           "user_data": appendix, "date_ns": epoch_ns("2026-12-07T10:00:00.125Z"),
           "ignored_keys": ["config.count_time", "config.description"]})
    write("dectris1_bad_collection_date",
          [js({"htype": "dheader-1.0", "series": 3, "header_detail": "basic"}),
           js(dict(config, data_collection_date="07.12.2026 11:00"))],
          error("dectris1", "invalid_field", "data_collection_date"))
    v1_mask = np.zeros((24, 40), dtype="<u4")
    v1_mask[0, 0] = 1
    v1_mask[23, 39] = 2
    flat = np.ones((24, 40), dtype="<f4")
    write("dectris1_header_all",
          [js({"htype": "dheader-1.0", "series": 4, "header_detail": "all"}), js(config),
           js({"htype": "dflatfield-1.0", "shape": [40, 24], "type": "float32"}), flat.tobytes(),
           js({"htype": "dpixelmask-1.0", "shape": [40, 24], "type": "uint32"}), v1_mask.tobytes(),
           js({"htype": "dcountrate_table-1.0", "shape": [2, 3], "type": "float32"}), np.zeros(6, "<f4").tobytes()],
          {"format": "dectris1", "kind": "start", "series_id": 4, "series_unique_id": "", "number_of_images": 180,
           "image_rows": 24, "image_cols": 40, "dtype": "uint16", "omega_start_deg": -5.0, "omega_increment_deg": 0.25,
           "user_data": None, "mask_rows": 24, "mask_cols": 40, "masked": [[0, 0], [23, 39]],
           "date_ns": epoch_ns("2026-12-07T10:00:00.125Z")})


    def v1_image(name, pixels, encoding, blob, compression, with_config=True, image_appendix=None):
        rows, cols = pixels.shape
        parts = [js({"htype": "dimage-1.0", "series": 3, "frame": 5, "hash": ""}),
                 js({"htype": "dimage_d-1.0", "shape": [cols, rows], "type": DTYPE_NAME[pixels.dtype],
                     "encoding": encoding, "size": len(blob)}), blob]
        if with_config:
            parts.append(js({"htype": "dconfig-1.0", "start_time": 5000000, "stop_time": 6000000,
                             "real_time": 1000000}))
        if image_appendix is not None:
            parts.append(js(image_appendix))
        times = {"series_time_ns": 5000000} if with_config else {}
        ignored = ["hash"] + (["real_time", "stop_time"] if with_config else [])  # each part's keys by name
        write(name, parts, expect_image("dectris1", pixels, compression, 3, 5, image_appendix, ignored_keys=ignored,
                                        **times), pixels)


    p16 = image(24, 40, "<u2")
    v1_image("dectris1_image_bs16", p16, "bs16-lz4<", bslz4(p16), "bslz4")
    p32 = image(9, 31, "<u4")
    v1_image("dectris1_image_bs32", p32, "bs32-lz4<", bslz4(p32), "bslz4", image_appendix={"image_key": "dark"})
    p8 = image(17, 23, "uint8")
    v1_image("dectris1_image_bs8", p8, "bs8-lz4<", bslz4(p8), "bslz4")
    v1_image("dectris1_image_lz4", p16, "lz4<", lz4.block.compress(p16.tobytes(), store_size=False), "lz4_block")
    v1_image("dectris1_image_raw", p16, "<", p16.tobytes(), "none", with_config=False)
    write("dectris1_end", [js({"htype": "dseries_end-1.0", "series": 3, "images": 180})],
          {"format": "dectris1", "kind": "end", "series_id": 3, "ignored_keys": ["images"]})
    write("dectris1_config", [js({"htype": "dconfig-1.0", "start_time": 0, "stop_time": 1, "real_time": 1})],
          {"format": "dectris1", "kind": "ignored"})
    write("dectris1_bad_start_time",
          [js({"htype": "dimage-1.0", "series": 3, "frame": 0}),
           js({"htype": "dimage_d-1.0", "shape": [40, 24], "type": "uint16", "encoding": "<"}), p16.tobytes(),
           js({"htype": "dconfig-1.0", "start_time": -1, "stop_time": 0, "real_time": 1})],
          error("dectris1", "invalid_field", "start_time"))
    write("dectris1_bad_unknown_htype", [js({"htype": "dfoo-1.0", "series": 3})],
          error("dectris1", "unknown_type", "dfoo-1.0"))
    write("dectris1_bad_big_endian",
          [js({"htype": "dimage-1.0", "series": 3, "frame": 0}),
           js({"htype": "dimage_d-1.0", "shape": [40, 24], "type": "uint16", "encoding": ">", "size": 1920}),
           p16.astype(">u2").tobytes()], error("dectris1", "wrong_field_type", "encoding"))
    write("dectris1_bad_bits_vs_type",
          [js({"htype": "dimage-1.0", "series": 3, "frame": 0}),
           js({"htype": "dimage_d-1.0", "shape": [40, 24], "type": "uint16", "encoding": "bs32-lz4<"}), bslz4(p16)],
          error("dectris1", "bad_dtype", "bs32"))
    write("dectris1_bad_raw_size",
          [js({"htype": "dimage-1.0", "series": 3, "frame": 0}),
           js({"htype": "dimage_d-1.0", "shape": [40, 24], "type": "uint16", "encoding": "<"}), p16.tobytes()[:-2]],
          error("dectris1", "size_mismatch", "1918"))
    write("dectris1_bad_missing_parts", [js({"htype": "dimage-1.0", "series": 3, "frame": 0})],
          error("dectris1", "malformed_header", "parts"))
    write("dectris1_bad_json", [b'{"htype": "dimage-1.0", "series": '], error("dectris1", "malformed_header", "JSON"))
    write("dectris1_bad_dtype",
          [js({"htype": "dimage-1.0", "series": 3, "frame": 0}),
           js({"htype": "dimage_d-1.0", "shape": [40, 24], "type": "int16", "encoding": "<"}), p16.tobytes()],
          error("dectris1", "bad_dtype", "int16"))

    # --- array-1.0 ---
    a16 = image(20, 30, "<u2")
    write("array_slowest_first",
          [js({"htype": "array-1.0", "shape": [20, 30], "type": "uint16", "frame": 11, "image_key": "projection",
               "angle_deg": 3.5}), a16.tobytes()],
          expect_image("array", a16, "none", 0, 11, {"image_key": "projection", "angle_deg": 3.5}), a16)
    write("array_legacy_adzmq_fastest_first",
          [js({"htype": ["array-1.0"], "shape": [30, 20], "type": "uint16", "frame": 12,
               "ndattr": {"ColorMode": 0}}), a16.tobytes()],
          expect_image("array", a16, "none", 0, 12, {"ndattr": {"ColorMode": 0}}), a16)
    write("array_singleton_axis",
          [js({"htype": "array-1.0", "shape": [1, 20, 30], "type": "uint16", "frame": 13}), a16.tobytes()],
          expect_image("array", a16, "none", 0, 13, {}), a16)
    a32 = image(8, 8, "<u4")
    write("array_square_uint32",
          [js({"htype": "array-1.0", "shape": [8, 8], "type": "uint32", "frame": 0, "endianness": "little"}),
           a32.tobytes()], expect_image("array", a32, "none", 0, 0, {}), a32)
    write("array_bslz4",
          [js({"htype": "array-1.0", "shape": [20, 30], "type": "uint16", "frame": 1, "encoding": "bslz4"}),
           bslz4(a16)], expect_image("array", a16, "bslz4", 0, 1, {}, ignored_keys=[]), a16)
    write("array_bad_size",
          [js({"htype": "array-1.0", "shape": [20, 31], "type": "uint16", "frame": 0}), a16.tobytes()],
          error("array", "size_mismatch", "1200"))
    write("array_bad_type",
          [js({"htype": "array-1.0", "shape": [20, 30], "type": "int64", "frame": 0}), a16.tobytes()],
          error("array", "bad_dtype", "int64"))
    write("array_bad_big_endian",
          [js({"htype": "array-1.0", "shape": [20, 30], "type": "uint16", "frame": 0, "endianness": "big"}),
           a16.tobytes()], error("array", "bad_dtype", "big"))
    write("array_bad_no_blob",
          [js({"htype": "array-1.0", "shape": [20, 30], "type": "uint16", "frame": 0})],
          error("array", "malformed_header", "2 parts"))
    write("array_bad_three_axes",
          [js({"htype": "array-1.0", "shape": [2, 20, 15], "type": "uint16", "frame": 0}), a16.tobytes()],
          error("array", "wrong_field_type", "shape"))
    write("array_bad_no_shape", [js({"htype": "array-1.0", "type": "uint16", "frame": 0}), a16.tobytes()],
          error("array", "missing_field", "shape"))


if __name__ == "__main__":
    write_all(sys.argv[1])
