#!/usr/bin/python3
"""Writes the fuzz targets' seed corpora (tests/fuzz/corpus/TARGET/NAME): small valid and invalid inputs per
target, so that fuzzing starts from every message type and every kind of refusal. Run it after changing the wire
format and commit what it writes; the names say what each seed holds."""
import importlib.util
import json
import math
import pathlib
import shutil
import struct
import tempfile

import msgpack

CORPUS = pathlib.Path(__file__).resolve().parent / "corpus"
# The detector-stream test fixtures (python3-cbor2, bitshuffle, python3-lz4) are these targets' seeds.
DETECTOR_FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "detector" / "make_fixtures.py"
PART_SEPARATOR = b"\0PART\0"  # targets/fuzz_parts.hpp
MAX_DETECTOR_SEED_BYTES = 6000


def pack(value):
    return msgpack.packb(value, use_bin_type=True)


def begin(**fields):
    header = {"v": 1, "type": "begin", "scan_id": 7, "name": "seed", "shape": [4, 6], "dtype": "uint16",
              "num_darks": 1, "num_flats": 1, "num_projections": 4, "angle_start_deg": 0.0, "angle_step_deg": 45.0}
    header.update(fields)
    return {k: v for k, v in header.items() if v is not ...}


def frame(kind, **fields):
    header = {"v": 1, "type": kind, "scan_id": 7, "frame_id": 0, "shape": [4, 6], "dtype": "uint16"}
    header.update(fields)
    return {k: v for k, v in header.items() if v is not ...}


def data_seeds():
    messages = {
        "begin_range": begin(),
        "begin_table": begin(angle_start_deg=..., angle_step_deg=..., angles_deg=[0.0, 45.0, 90.0, 135.0]),
        "begin_window": begin(num_projections=8, window=4, angles_deg=[0, 90, 180, 270], angle_start_deg=...,
                              angle_step_deg=...),
        "begin_half_acquisition": begin(half_acquisition=True, center_offset_px=1.5, angle_step_deg=90.0,
                                        pixel_size_um=0.65, streams=2),
        "begin_float32_angles": begin(angle_start_deg=..., angle_step_deg=...,
                                      angles_deg=[0.0, 1.5, 3.0, 4.5]),
        "dark": frame("dark"),
        "flat_uint8": frame("flat", dtype="uint8"),
        "projection_float32": frame("projection", dtype="float32", angle_deg=12.5, timestamp_ns=-5),
        "projection_uint32": frame("projection", dtype="uint32", frame_id=2**64 - 1, shape=[16384, 16384]),
        "end": {"v": 1, "type": "end", "scan_id": 7},
        "bad_version": begin(v=2),
        "bad_type": {"v": 1, "type": "rewind", "scan_id": 7},
        "bad_dtype": frame("projection", dtype="int16"),
        "bad_shape_3": frame("dark", shape=[1, 2, 3]),
        "bad_shape_zero": begin(shape=[0, 6]),
        "bad_nil_required": frame("flat", scan_id=None),
        "bad_negative_id": frame("flat", frame_id=-1),
        "bad_float_for_int": begin(num_projections=4.0),
        "bad_nan_angle": frame("projection", angle_deg=math.nan),
        "bad_both_angle_forms": begin(angles_deg=[0, 1, 2, 3]),
        "bad_window_one": begin(window=1),
        "bad_offset_off_detector": begin(center_offset_px=300.0),
        "bad_missing_scan_id": {"v": 1, "type": "end"},
        "bad_bin_type": {"v": 1, "type": b"end", "scan_id": 7},
        "bad_non_string_keys": {1: 2, "v": 1, "type": "end", "scan_id": 7},
        "bad_nested": {"v": 1, "type": "end", "scan_id": 7, "x": [[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]},
    }
    seeds = {name: pack(message) for name, message in messages.items()}
    seeds["bad_not_a_map"] = pack([1, "begin"])
    seeds["bad_trailing_bytes"] = pack(frame("dark")) + b"\xc0"
    seeds["bad_truncated"] = pack(begin())[:-3]
    seeds["bad_hostile_map_length"] = b"\xdf\xff\xff\xff\xff\xa1v\x01"
    seeds["bad_empty"] = b""
    return seeds


def control_seeds():
    messages = {
        "get_status": {"type": "get_status"},
        "set_center_offset": {"type": "set_center", "center_offset_px": -2.25},
        "set_center_column": {"type": "set_center", "center_column_px": 255},
        "set_slices": {"type": "set_slices", "xy_row": 3, "xz_y_px": 1.5, "yz_x_px": -1.0},
        "get_slice": {"type": "get_slice", "slice": "yz"},
        "estimate_center": {"type": "estimate_center", "method": "metric", "apply": True},
        "sweep_center": {"type": "sweep_center", "start_offset_px": -4.0, "step_px": 0.5, "count": 16,
                         "xy_row": 2, "region": [0, 0, 64, 64]},
        "sweep_center_sampled": {"type": "sweep_center", "start_offset_px": -4.0, "step_px": 0.5, "count": 16,
                                 "region": [0, 0, 63, 63], "pixel_step": 2},
        "set_processing": {"type": "set_processing", "window": "hann", "zingers": {"enabled": True, "threshold": 0.3},
                           "phase": {"enabled": True, "energy_kev": 20.0, "distance_m": 0.5, "pixel_size_um": 0.65,
                                     "delta_over_beta": 100.0},
                           "rings": {"enabled": True, "size": 21}},
        "bad_both_centers": {"type": "set_center", "center_offset_px": 1.0, "center_column_px": 3.0},
        "bad_no_slices": {"type": "set_slices"},
        "bad_slice_name": {"type": "get_slice", "slice": "zz"},
        "bad_sweep_count": {"type": "sweep_center", "start_offset_px": 0, "step_px": 1, "count": 65},
        "bad_sweep_step": {"type": "sweep_center", "start_offset_px": 0, "step_px": -1, "count": 2},
        "bad_sweep_pixel_step": {"type": "sweep_center", "start_offset_px": 0, "step_px": 1, "count": 2,
                                 "pixel_step": 9},
        "bad_window_name": {"type": "set_processing", "window": "box"},
        "bad_rings_size": {"type": "set_processing", "rings": {"size": 20}},
        "bad_infinite_center": {"type": "set_center", "center_offset_px": math.inf},
        "nan_zinger_threshold": {"type": "set_processing", "zingers": {"threshold": math.nan}},
        "bad_unknown_type": {"type": "shutdown"},
        "bad_type_not_string": {"type": 3},
        "sweep_processing_range": {"type": "sweep_processing", "parameter": "delta_over_beta", "start": 10.0,
                                   "stop": 1000.0, "count": 9, "spacing": "log", "xy_row": 2, "region": [0, 0, 32, 32]},
        "sweep_processing_windows": {"type": "sweep_processing", "parameter": "window", "windows": ["hann", "parzen"]},
        "set_oblique_normal": {"type": "set_oblique_slice", "normal": [0.0, 1.0, 1.0], "offset_px": 2.5},
        "set_oblique_points": {"type": "set_oblique_slice", "points": [0, 4, 0, 10, 4, 3, -5, 4, 7]},
        "bad_sweep_processing_forms": {"type": "sweep_processing", "parameter": "ring_size", "values": [5],
                                       "start": 3, "stop": 9, "count": 3},
        "bad_oblique_normal": {"type": "set_oblique_slice", "normal": [0, 1]},
        "set_preview_side": {"type": "set_preview", "enabled": True, "side": 128},
        "set_preview_off": {"type": "set_preview", "enabled": False},
        "bad_preview_side": {"type": "set_preview", "side": 8},
    }
    seeds = {name: pack({"v": 1, **message}) for name, message in messages.items()}
    seeds["bad_no_version"] = pack({"type": "get_status"})
    seeds["bad_version"] = pack({"v": 9, "type": "get_status"})
    seeds["bad_array"] = pack(["get_status"])
    seeds["bad_truncated"] = pack({"v": 1, "type": "set_slices", "xy_row": 3})[:-1]
    seeds["bad_empty"] = b""
    return seeds


def browser_seeds():
    messages = {
        "get_status": {"type": "get_status", "request_id": 1},
        "set_center": {"type": "set_center", "center_offset_px": 1.5, "request_id": "a"},
        "set_slices": {"type": "set_slices", "xy_row": 10},
        "estimate_center": {"type": "estimate_center", "method": "registration", "apply": False},
        "sweep_center": {"type": "sweep_center", "start_offset_px": -2, "step_px": 0.5, "count": 8,
                         "max_shape": [128, 128], "request_id": [1, 2]},
        "sweep_center_sampled": {"type": "sweep_center", "start_offset_px": -2, "step_px": 0.5, "count": 8,
                                 "region": [0, 0, 1024, 1024], "pixel_step": 4},
        "set_processing": {"type": "set_processing", "window": "hann", "rings": {"enabled": True, "size": 21}},
        "view": {"type": "view", "slice": "xz", "max_shape": [512, 512], "region": [0, 0, 100, 100]},
        "latency": {"type": "latency", "scan_id": 7, "samples_us": [1200.5, 900, 1500]},
        "ping": {"type": "ping", "t": 12.5},
        "sweep_processing": {"type": "sweep_processing", "parameter": "ring_size", "start": 3, "stop": 21,
                             "count": 5, "max_shape": [96, 96]},
        "set_oblique_slice": {"type": "set_oblique_slice", "normal": [0, 0, 1], "offset_px": 0},
        "set_preview": {"type": "set_preview", "side": 64, "request_id": 3},
        "watch_preview": {"type": "watch_preview", "enabled": True},
        "bad_watch_preview": {"type": "watch_preview", "enabled": "yes"},
        "bad_get_slice": {"type": "get_slice", "slice": "xy"},
        "bad_unknown_type": {"type": "reboot"},
        "bad_type_number": {"type": 5},
        "bad_view_shape": {"type": "view", "slice": "xy", "max_shape": [0, 70000]},
        "bad_view_slice": {"type": "view", "slice": "ab", "max_shape": [1, 1]},
        "bad_latency_samples": {"type": "latency", "scan_id": -1, "samples_us": ["x"]},
        "bad_sweep_max_shape": {"type": "sweep_center", "start_offset_px": 0, "step_px": 1, "count": 2,
                                "max_shape": [1]},
        "bad_nested_maps": {"type": "set_processing", "phase": {"enabled": "yes", "energy_kev": None}},
    }
    seeds = {name: json.dumps(message).encode() for name, message in messages.items()}
    seeds["bad_not_json"] = b"{type: ping"
    seeds["bad_array"] = b"[1, 2, 3]"
    seeds["bad_string"] = b'"ping"'
    seeds["bad_invalid_utf8_type"] = b'{"type": "\xff\xfe", "request_id": "\xc3"}'
    seeds["bad_escaped_surrogate"] = b'{"type": "ping", "t": "\\ud800"}'
    seeds["bad_deep_nesting"] = b'{"type": "ping", "t": ' + b"[" * 200 + b"]" * 200 + b"}"
    seeds["bad_huge_number"] = b'{"type": "set_slices", "xy_row": 1e400}'
    seeds["bad_empty"] = b""
    return seeds


def viewer_path_seeds():
    targets = [
        "/", "/index.html", "/app.js", "/sub/", "/sub/page.html", "/alias.js", "/index.html?x=1#top",
        "/%69ndex.html", "/sub/./page.html", "//app.js", "/escape.txt", "/up/secret.txt", "/up/viewer/app.js",
        "/../secret.txt", "/sub/../index.html", "/%2e%2e/secret.txt", "/%2E%2E%2Fsecret.txt", "/a%00b",
        "/sub\\..\\secret.txt", "/%", "/%4", "/%zz", "index.html", "", "/missing.css", "/sub", "/?", "/#",
        "/" + "a/" * 100,
    ]
    return {f"target_{i:02d}": target.encode() for i, target in enumerate(targets)}


def detector_fixtures():
    spec = importlib.util.spec_from_file_location("make_fixtures", DETECTOR_FIXTURES)
    fixtures = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fixtures)
    return fixtures


def detector_message_seeds(fixtures):
    """Per format, its fixtures (parts joined by the separator), small ones only."""
    seeds = {"dectris2": {}, "dectris1": {}, "array": {}}
    with tempfile.TemporaryDirectory() as directory:
        fixtures.write_all(directory)
        for message in sorted(pathlib.Path(directory).glob("*.msg")):
            expect = json.loads(message.with_suffix(".json").read_text())
            blob = message.read_bytes()
            count, offset, parts = struct.unpack_from("<I", blob)[0], 4, []
            for _ in range(count):
                size = struct.unpack_from("<Q", blob, offset)[0]
                parts.append(blob[offset + 8:offset + 8 + size])
                offset += 8 + size
            seed = PART_SEPARATOR.join(parts)
            if len(seed) <= MAX_DETECTOR_SEED_BYTES:
                seeds[expect["format"]][message.stem] = seed
    return seeds


def detector_pixel_seeds(fixtures):
    """decode_pixels inputs: compression byte (none, bslz4, lz4, lz4_block), dtype byte, rows, cols, data."""
    import lz4.block
    import numpy as np
    seeds = {}
    for dtype_index, dtype in enumerate(("uint8", "<u2", "<u4")):
        for rows, cols in ((8, 12), (5, 7), (1, 3)):
            pixels = fixtures.image(rows, cols, dtype)
            head = lambda compression: bytes([compression, dtype_index, rows - 1, cols - 1])
            name = f"{np.dtype(dtype).name}_{rows}x{cols}"
            seeds[f"none_{name}"] = head(0) + pixels.tobytes()
            seeds[f"bslz4_{name}"] = head(1) + fixtures.bslz4(pixels)
            seeds[f"lz4_{name}"] = head(2) + fixtures.lz4_hdf5(pixels.tobytes(), 64)
            seeds[f"lz4_block_{name}"] = head(3) + lz4.block.compress(pixels.tobytes(), store_size=False)
    return seeds


def main():
    fixtures = detector_fixtures()
    messages = detector_message_seeds(fixtures)
    targets = {"data_codec_fuzz": data_seeds(), "control_codec_fuzz": control_seeds(),
               "browser_message_fuzz": browser_seeds(), "viewer_path_fuzz": viewer_path_seeds(),
               "dectris2_fuzz": messages["dectris2"], "dectris1_fuzz": messages["dectris1"],
               "array_fuzz": messages["array"], "detector_pixels_fuzz": detector_pixel_seeds(fixtures)}
    for target, seeds in targets.items():
        folder = CORPUS / target
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for name, data in seeds.items():
            (folder / name).write_bytes(data)
        print(f"{target}: {len(seeds)} seeds")


if __name__ == "__main__":
    main()
