// Wire types of the tomolive native protocol, version 1.
//
// These are plain values: the header maps of the multipart ZeroMQ messages a detector sends (data), the daemon
// publishes (events, slices) and a control client exchanges (commands, replies). PROTOCOL.md is the normative
// description; every field here appears there with its type and unit. Angles travel in degrees, positions in
// detector/reconstruction pixels, times in nanoseconds since the Unix epoch.
//
// Nothing here knows about sockets, threads or CUDA. All types are value types (comparable with ==, fieldwise) and
// thread-compatible.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace tomolive::protocol {

// The version this library speaks. A header whose "v" differs is rejected with ErrorCode::unsupported_version.
inline constexpr std::uint32_t kProtocolVersion = 1;

// Limits that make a geometry "absurd" (refused at begin). Chosen far above any detector in use today.
inline constexpr std::uint32_t kMaxDetectorPixelsPerSide = 16384;
inline constexpr std::uint32_t kMaxProjections = 1'000'000;
inline constexpr std::uint32_t kMaxReferenceFrames = 10'000;  // darks or flats per scan
inline constexpr std::uint32_t kMaxStreams = 64;               // data connections one scan may arrive on
// Smallest |center_offset_px| of a half-acquisition begin, detector pixels: the daemon widens each frame by
// round(2 |offset|) columns, so a smaller offset would widen nothing.
inline constexpr double kMinHalfAcquisitionOffsetPx = 0.25;
// Columns the daemon adds to each frame of a half-acquisition scan announced at `center_offset_px` (detector
// pixels): round(2 |offset|); the slices are cols + that wide (PROTOCOL.md 5.1).
std::uint32_t half_acquisition_added_cols(double center_offset_px);

enum class Dtype : std::uint8_t { uint8, uint16, uint32, float32 };

// Bytes per pixel of a dtype.
std::size_t itemsize(Dtype dtype);
std::string_view to_string(Dtype dtype);
std::optional<Dtype> parse_dtype(std::string_view name);

enum class FrameKind : std::uint8_t { dark, flat, projection };
std::string_view to_string(FrameKind kind);
std::optional<FrameKind> parse_frame_kind(std::string_view name);

// Why a message or command was refused. The wire form is the snake_case name (to_string).
enum class ErrorCode : std::uint8_t {
  malformed_header,      // part 1 is not a msgpack map, or the message has the wrong number of parts
  unsupported_version,   // "v" missing or not kProtocolVersion
  unknown_type,          // "type" names no message this endpoint accepts
  missing_field,         // a required key is absent
  wrong_field_type,      // a key has the wrong msgpack type or an out-of-range value
  bad_dtype,             // "dtype" is not one of uint8, uint16, uint32, float32
  size_mismatch,         // payload bytes != rows * cols * itemsize
  missing_payload,       // a frame without part 2
  unexpected_payload,    // begin or end with a part 2 (a control request with a part 2 is malformed_header)
  invalid_geometry,      // begin with zero/absurd sizes or inconsistent angles
  scan_too_large,        // begin whose memory plan does not fit the engine
  no_active_scan,        // frame or end without an active scan; a control command before any scan
  scan_id_mismatch,      // frame or end for another scan than the active one
  shape_mismatch,        // frame rows/cols/dtype differ from the scan's begin
  frame_id_out_of_range, // frame_id >= announced count of that kind (more frames than announced)
  duplicate_frame,       // a frame_id already received for that kind
  reference_after_projections,  // dark/flat arriving after the first projection
  queue_full,            // dropped by the drop_oldest queue policy
  invalid_argument,      // a control command's argument is out of range
  permission_denied,     // a control command from a read-only viewer (WebSocket without the token)
  duplicate_scan,        // a further begin of the active scan after all its `streams` begins (a restarted sender)
  invalid_field,         // a str field that is not valid UTF-8; the message names the field and the byte offset
  transport_error,       // an RDMA connection refused or ended by an error (PROTOCOL.md, "RDMA"); the message says which
  disk_error,            // a file could not be created or written (disk full, directory read-only or missing, file
                         // exists); the message names the path and the problem (PROTOCOL.md 18)
  internal_error,        // a bug or an engine failure; the message says what
};
std::string_view to_string(ErrorCode code);
std::optional<ErrorCode> parse_error_code(std::string_view name);
inline constexpr std::size_t kErrorCodeCount = static_cast<std::size_t>(ErrorCode::internal_error) + 1;

// An error with its reason: what happened, the wrong value and what was expected.
struct Error {
  ErrorCode code{};
  std::string message;

  bool operator==(const Error&) const = default;
};

// ---------------------------------------------------------------------------------------------------------------
// Data messages (detector -> daemon, on the data PULL socket).

// How projection angles are given at begin: an explicit table, or start + step (degrees).
struct AngleTable {
  std::vector<double> angles_deg;  // one per projection frame_id (or per window slot, see ScanBegin::window)

  bool operator==(const AngleTable&) const = default;
};
struct AngleRange {
  double start_deg = 0.0;
  double step_deg = 0.0;  // angle of projection frame_id k = start_deg + k * step_deg

  bool operator==(const AngleRange&) const = default;
};
using AngleSpec = std::variant<AngleTable, AngleRange>;

struct ScanBegin {
  std::uint64_t scan_id = 0;
  std::string name;  // optional, free text for logs and the viewer
  std::uint32_t rows = 0;
  std::uint32_t cols = 0;
  Dtype dtype = Dtype::uint16;
  std::uint32_t num_darks = 0;
  std::uint32_t num_flats = 0;
  std::uint32_t num_projections = 0;
  AngleSpec angles = AngleRange{};
  // Continuous rotation: the reconstruction uses the newest `window` projections (e.g. one 180° turn); projection
  // k replaces projection k - window. 0 = no window: all num_projections are kept.
  std::uint32_t window = 0;
  // Data connections (PUSH sockets, each to its own daemon data endpoint) the scan arrives on. Each stream sends
  // this same begin before its frames and its own end after them; the scan ends when all `streams` ends arrived.
  std::uint32_t streams = 1;
  double center_offset_px = 0.0;  // initial rotation-axis offset from (cols - 1) / 2, in detector pixels
  std::optional<double> pixel_size_um;  // detector pixel size at the sample, micrometres
  // A 360 degree scan whose axis sits off the detector's centre, by center_offset_px, so that the detector sees one
  // side of the object plus an overlap (extended field of view; PROTOCOL.md 5.1 gives the rules).
  bool half_acquisition = false;

  bool operator==(const ScanBegin&) const = default;
};

struct FrameHeader {
  FrameKind kind = FrameKind::projection;
  std::uint64_t scan_id = 0;
  std::uint64_t frame_id = 0;  // 0-based, per kind
  std::uint32_t rows = 0;
  std::uint32_t cols = 0;
  Dtype dtype = Dtype::uint16;
  std::optional<double> angle_deg;     // projections only: overrides the begin's angle for this frame
  std::optional<std::int64_t> timestamp_ns;  // when the detector took the frame (informational)

  bool operator==(const FrameHeader&) const = default;
};

struct ScanEnd {
  std::uint64_t scan_id = 0;

  bool operator==(const ScanEnd&) const = default;
};

using DataMessage = std::variant<ScanBegin, FrameHeader, ScanEnd>;

// ---------------------------------------------------------------------------------------------------------------
// Published messages (daemon -> subscribers, on the PUB socket). A slice is three parts (topic, header, float32
// payload); an event is two (topic, header).

inline constexpr std::string_view kSliceTopic = "slice";
inline constexpr std::string_view kEventTopic = "event";

// The oblique slice (PROTOCOL.md 10.9) is published only while enabled.
enum class SliceKind : std::uint8_t { xy, xz, yz, oblique };
inline constexpr std::array<SliceKind, 4> kSliceKinds = {SliceKind::xy, SliceKind::xz, SliceKind::yz,
                                                         SliceKind::oblique};
std::string_view to_string(SliceKind kind);
std::optional<SliceKind> parse_slice_kind(std::string_view name);

// One orthoslice, float32 little-endian row-major payload of rows * cols values, in 1/pixel.
struct SliceUpdate {
  std::uint64_t scan_id = 0;
  SliceKind slice = SliceKind::xy;
  double position = 0.0;  // xy: detector row; xz: y in pixels from the axis; yz: x in pixels from the axis
  std::uint32_t rows = 0;
  std::uint32_t cols = 0;
  std::uint32_t projections_included = 0;
  std::uint64_t sequence = 0;        // increases with every change of this slice
  double center_offset_px = 0.0;
  std::int64_t received_ns = 0;      // when the newest projection included was received (0 if none)
  std::int64_t published_ns = 0;     // when this message was sent
  // oblique only: the plane's unit normal [x, y, z] (x, y pixels from the axis, z along detector rows); position is
  // then its offset from the volume's centre, pixels
  std::optional<std::vector<double>> normal;

  bool operator==(const SliceUpdate&) const = default;
};

// An asynchronous event: an error caused by a data message, or a scan's begin/end summary.
struct Event {
  std::string kind;  // "error", "scan_begun", "scan_ended", "center_estimated", "processing_changed"
  std::optional<std::uint64_t> scan_id;
  std::optional<std::uint64_t> frame_id;
  std::optional<Error> error;  // set when kind == "error"
  std::string message;         // one human-readable line
  std::int64_t time_ns = 0;

  bool operator==(const Event&) const = default;
};

// ---------------------------------------------------------------------------------------------------------------
// Control (client REQ -> daemon REP). Each request is one part (a map); each reply is one part, except a
// successful get_slice, which adds the float32 slice as part 2.

struct GetStatus {
  bool operator==(const GetStatus&) const = default;
};
struct SetCenter {
  // At most one of the two: the axis as an offset from (cols - 1) / 2, or as an absolute detector column (at the
  // middle row when the axis is tilted).
  std::optional<double> center_offset_px;
  std::optional<double> center_column_px;
  // The axis's in-plane tilt to correct, degrees (the convention of CenterEstimateResult::tilt_deg; 0: none). At
  // least one of the three is given.
  std::optional<double> tilt_deg = std::nullopt;

  bool operator==(const SetCenter&) const = default;
};
struct SetSlices {
  std::optional<std::uint32_t> xy_row;  // detector row of the axial slice
  std::optional<double> xz_y_px;        // y of the XZ slice, pixels from the axis
  std::optional<double> yz_x_px;        // x of the YZ slice, pixels from the axis

  bool operator==(const SetSlices&) const = default;
};
struct GetSlice {
  SliceKind slice = SliceKind::xy;

  bool operator==(const GetSlice&) const = default;
};
// Center of rotation (PROTOCOL.md 10.4).
enum class CenterMethod : std::uint8_t { registration, metric };
std::string_view to_string(CenterMethod method);
std::optional<CenterMethod> parse_center_method(std::string_view name);

struct EstimateCenter {
  CenterMethod method = CenterMethod::registration;
  bool apply = false;  // apply the estimate as set_center would

  bool operator==(const EstimateCenter&) const = default;
};
// A rectangle of a slice: [row0, col0, rows, cols], pixels.
using SliceRegionField = std::array<std::uint32_t, 4>;
struct SweepCenter {
  double start_offset_px = 0.0;  // first candidate, detector pixels from (cols - 1) / 2
  double step_px = 1.0;          // > 0
  std::uint32_t count = 1;       // 1..kMaxSweepCount
  std::optional<std::uint32_t> xy_row;     // default: the XY slice's row
  std::optional<SliceRegionField> region;  // of the XY slice; default: the central square of side min(cols, 512)
  // The images sample every pixel_step-th pixel of the region, 1..kMaxSweepPixelStep; default (daemon): 1 up to
  // kMaxDefaultSweepImageSide pixels a side, else the smallest step bringing the images within it.
  std::optional<std::uint32_t> pixel_step = std::nullopt;  // added last: older initialisers omit it

  bool operator==(const SweepCenter&) const = default;
};
inline constexpr std::uint32_t kMaxSweepCount = 64;
inline constexpr std::uint32_t kMaxSweepPixelStep = 8;
inline constexpr std::uint32_t kMaxDefaultSweepImageSide = 512;

// Projection processing (PROTOCOL.md 10.5). The daemon checks the values' ranges (invalid_argument); the codec only
// their types and the window's name.
enum class FilterWindow : std::uint8_t { ram_lak, shepp_logan, cosine, hamming, hann, parzen };
std::string_view to_string(FilterWindow window);  // "ram-lak", "shepp-logan", "cosine", "hamming", "hann", "parzen"
std::optional<FilterWindow> parse_filter_window(std::string_view name);

// set_processing: every field is optional; an absent one keeps the daemon's current value.
struct ZingersUpdate {
  std::optional<bool> enabled;
  std::optional<double> threshold;  // relative deviation of a pixel's transmission from its 3 x 3 median
  bool operator==(const ZingersUpdate&) const = default;
};
struct PhaseUpdate {
  std::optional<bool> enabled;
  std::optional<double> energy_kev;       // photon energy, keV
  std::optional<double> distance_m;       // sample-to-detector distance, metres
  std::optional<double> pixel_size_um;    // effective pixel size at the sample, micrometres
  std::optional<double> delta_over_beta;  // refractive index decrement over absorption index
  bool operator==(const PhaseUpdate&) const = default;
};
struct RingsUpdate {
  std::optional<bool> enabled;
  std::optional<std::uint32_t> size;  // median window across detector columns, pixels
  bool operator==(const RingsUpdate&) const = default;
};
// Defective-pixel detection (PROTOCOL.md 10.10), read once per scan at its first projection.
struct DefectivePixelsUpdate {
  std::optional<bool> enabled;
  std::optional<double> dead_threshold;   // fraction of the row neighbours' median open-beam signal, 0 < t < 1
  std::optional<double> hot_threshold;    // robust sigmas of the dark's deviation from its row neighbours, > 0
  std::optional<double> noisy_threshold;  // robust sigmas of the per-pixel temporal standard deviation, > 0
  bool operator==(const DefectivePixelsUpdate&) const = default;
};
struct SetProcessing {
  // At least one of the five (none: invalid_argument).
  std::optional<FilterWindow> window;
  std::optional<ZingersUpdate> zingers;
  std::optional<PhaseUpdate> phase;
  std::optional<RingsUpdate> rings;
  std::optional<DefectivePixelsUpdate> defective_pixels = std::nullopt;  // added last: older initialisers omit it

  bool operator==(const SetProcessing&) const = default;
};

// set_scan_plan (PROTOCOL.md 17, "Scan plans"): what a detector stream that carries no scan plan of its own (a
// DECTRIS series without user_data, an array-1.0 stream) lacks for tomography, for the next series that arrives.
// The series holds its images in the order darks, flats, projections: image ids 0 .. n_darks - 1 are darks, the
// next n_flats flats, and n_projections projections follow from first_projection_image_id. Angles: at most one of
// angle_range_deg (start 0, step range / n_projections), angle_start_deg + angle_step_deg, or angles_deg (one per
// projection); none gives a range of 180 degrees; a detector's goniometer omega overrides them all.
// The plan of the next detector series that brings none (PROTOCOL.md 17). Layout form (no image_key): one series
// holds darks, flats and projections by image id. Per-series form (image_key): the next series holds images of that
// kind only, and the series after it (another series) the next kind with images, in the order dark, flat,
// projection: one post makes one scan of up to three series in a row.
struct SetScanPlan {
  std::uint32_t n_darks = 0;
  std::uint32_t n_flats = 0;
  std::uint32_t n_projections = 0;                          // 1 .. kMaxProjections
  std::optional<std::uint64_t> first_projection_image_id;  // default n_darks + n_flats; never below it
  std::optional<double> angle_range_deg;
  std::optional<double> angle_start_deg;
  std::optional<double> angle_step_deg;
  std::optional<std::vector<double>> angles_deg;
  std::optional<double> center_offset_px;  // the begin's, detector pixels from (cols - 1) / 2
  std::optional<std::string> name;         // the scan's name in logs and the viewer
  std::optional<std::vector<std::string>> layout;  // when given, exactly {"dark", "flat", "projection"}
  std::optional<FrameKind> image_key;              // the per-series form: the kind of the next series
  std::optional<std::string> scan_unique_id;       // names the scan (its id, PROTOCOL.md 17.3)

  bool operator==(const SetScanPlan&) const = default;
};

// Full volume (PROTOCOL.md 10.6): from the resident store, with the scan's current center and processing.
struct ReconstructVolume {
  std::optional<SliceRegionField> region;               // [row0, col0, rows, cols] of the XY slice; default: all
  std::optional<std::array<std::uint32_t, 2>> rows;     // [first detector row, count]; default: every row
  std::uint32_t binning = 1;                            // 1..kMaxVolumeBinning: mean of binning^3 voxels

  bool operator==(const ReconstructVolume&) const = default;
};
inline constexpr std::uint32_t kMaxVolumeBinning = 16;
struct CancelVolume {
  bool operator==(const CancelVolume&) const = default;
};
// Recording (PROTOCOL.md 18): whether the next scan to begin is recorded; false also stops the active recording.
struct Record {
  bool enabled = false;

  bool operator==(const Record&) const = default;
};
// Triggered capture (PROTOCOL.md 18.1): writes the capture ring plus the next after_s seconds of frames to a file.
struct Capture {
  double after_s = 0.0;  // seconds after the request, 0..kMaxCaptureAfterS

  bool operator==(const Capture&) const = default;
};
inline constexpr double kMaxCaptureAfterS = 3600.0;
// The newest scan's defective-pixel map (PROTOCOL.md 10.10).
struct GetDefectivePixels {
  bool operator==(const GetDefectivePixels&) const = default;
};

// Processing sweep (PROTOCOL.md 10.8): the XY region reconstructed once per candidate value of one processing
// parameter, the others as set. Candidates: `values` (delta_over_beta, ring_size), `windows` (window names; default
// all six), or start, stop, count and spacing (delta_over_beta: log by default; ring_size: linear, rounded to odd).
enum class SweepParameter : std::uint8_t { delta_over_beta, ring_size, window };
std::string_view to_string(SweepParameter parameter);  // "delta_over_beta", "ring_size", "window"
std::optional<SweepParameter> parse_sweep_parameter(std::string_view name);
enum class SweepSpacing : std::uint8_t { log, linear };
std::string_view to_string(SweepSpacing spacing);  // "log", "linear"
std::optional<SweepSpacing> parse_sweep_spacing(std::string_view name);

struct SweepProcessing {
  SweepParameter parameter = SweepParameter::delta_over_beta;
  std::optional<std::vector<double>> values;
  std::optional<std::vector<std::string>> windows;
  std::optional<double> start;
  std::optional<double> stop;
  std::optional<std::uint32_t> count;
  std::optional<SweepSpacing> spacing;
  std::optional<std::uint32_t> xy_row;     // default: the XY slice's row
  std::optional<SliceRegionField> region;  // of the XY slice; default: the central square of side min(cols, 512)

  bool operator==(const SweepProcessing&) const = default;
};
inline constexpr std::uint32_t kMaxProcessingSweepCount = 32;

// Oblique slice (PROTOCOL.md 10.9): a plane given by its normal and offset, or by three points; or disabled.
struct SetObliqueSlice {
  bool enabled = true;
  std::optional<std::vector<double>> normal;  // [x, y, z]
  std::optional<double> offset_px;            // from the volume's centre along the normal; default 0
  std::optional<std::vector<double>> points;  // [x1, y1, z1, x2, y2, z2, x3, y3, z3]

  bool operator==(const SetObliqueSlice&) const = default;
};

// Sample centring (PROTOCOL.md 10.11): the stage motions that bring a point of a slice, or the sample's centre of mass
// seen in the projections, onto the rotation axis and into the middle of the field of view.
struct CenterSample {
  std::string slice;                         // "xy", "xz", "yz" (a point of that slice) or "projections"
  std::optional<std::vector<double>> point;  // [row, col], slice pixels; a slice needs point or box
  std::optional<std::vector<double>> box;    // [row0, col0, rows, cols], slice pixels: its centre is the point
  std::optional<double> pixel_size_um;       // > 0; default: the begin's pixel_size_um, if any

  bool operator==(const CenterSample&) const = default;
};

// Live 3D preview (PROTOCOL.md 10.12): enable it at `side` voxels along its longest side, or disable it. Applies to the
// active scan and every later one.
struct SetPreview {
  bool enabled = true;
  std::optional<std::uint32_t> side;  // kMinPreviewSide..kMaxPreviewSide; default: the engine's (PROTOCOL.md 10.12)

  bool operator==(const SetPreview&) const = default;
};
inline constexpr std::uint32_t kMinPreviewSide = 16;
inline constexpr std::uint32_t kMaxPreviewSide = 512;

using ControlRequest = std::variant<GetStatus, SetCenter, SetSlices, GetSlice, EstimateCenter, SweepCenter,
                                    SetProcessing, SetScanPlan, ReconstructVolume, CancelVolume, Record,
                                    Capture, SweepProcessing, SetObliqueSlice, GetDefectivePixels, CenterSample,
                                    SetPreview>;
// The wire "type" of a request: "get_status", "set_center", "set_slices", "get_slice", ...
std::string_view command_name(const ControlRequest& request);
// Every control command's wire "type", in ControlRequest's alternative order (PROTOCOL.md 10.1): the list a client
// checks its own command table against.
std::span<const std::string_view> command_names();

// Memory the engine reserved for the active scan, in bytes.
struct MemoryPlan {
  std::string device;           // e.g. "cpu (host memory)" or "NVIDIA H100 80GB HBM3"
  std::string store_precision;  // "float32" or "float16"
  std::uint64_t store_bytes = 0;      // resident filtered projections
  std::uint64_t corrected_store_bytes = 0;  // resident corrected projections, which re-filters start from
  std::uint64_t slice_bytes = 0;      // the three orthoslices (and the oblique slice and preview reserve)
  std::uint64_t preview_bytes = 0;    // of slice_bytes: the live 3D preview's reserve
  std::uint64_t other_bytes = 0;      // references, filter buffers, staging
  std::uint64_t total_bytes = 0;      // sum of the above
  std::uint64_t available_bytes = 0;  // what the engine could use when the plan was made
  // An engine over several devices (PROTOCOL.md 10.13): each slab's own plan, in slab order (the totals above are
  // their sums); empty for an engine of one device. Whether the whole scan would fit on one device (with one device:
  // whether it fits). Added with several GPUs: absent reads as empty and false.
  std::vector<MemoryPlan> slabs;
  bool fits_one_device = false;

  bool operator==(const MemoryPlan&) const = default;
};

struct CenterEstimateResult {
  std::string method;  // "registration" or "metric"
  double center_offset_px = 0.0;
  double center_column_px = 0.0;
  double confidence = 0.0;    // 0..1
  std::uint32_t samples = 0;  // pairs (registration) or candidates (metric) used
  double elapsed_ms = 0.0;
  bool applied = false;
  // Registration only: the in-plane tilt of the axis (roll), degrees, positive when the axis's column grows down the
  // detector, and its confidence 0..1 (PROTOCOL.md 10.4); absent when it could not be measured.
  std::optional<double> tilt_deg = std::nullopt;
  std::optional<double> tilt_confidence = std::nullopt;

  bool operator==(const CenterEstimateResult&) const = default;
};

// The progress of a long engine command (PROTOCOL.md 10.2, "Timeout"): the scan status's `command`.
struct CommandProgress {
  std::string command;          // what runs, e.g. "estimate_center (metric)"
  std::uint32_t done = 0;       // steps done (the metric estimate: candidates reconstructed)
  std::uint32_t total = 0;      // steps in all
  double elapsed_s = 0.0;       // since the command started
  double remaining_s = 0.0;     // extrapolated from the steps done; 0 before the first

  bool operator==(const CommandProgress&) const = default;
};

// The processing setting in use (PROTOCOL.md 10.5): every field, as set_processing's reply and get_status report it.
struct ProcessingSetting {
  struct Zingers {
    bool enabled = false;
    double threshold = 0.0;
    bool operator==(const Zingers&) const = default;
  };
  struct Phase {
    bool enabled = false;
    double energy_kev = 0.0, distance_m = 0.0, pixel_size_um = 0.0, delta_over_beta = 0.0;
    bool operator==(const Phase&) const = default;
  };
  struct Rings {
    bool enabled = false;
    std::uint32_t size = 0;
    bool operator==(const Rings&) const = default;
  };
  // Set by the scan, not by set_processing.
  struct HalfAcquisition {
    bool enabled = false;
    std::uint32_t detector_col0 = 0, detector_cols = 0;
    bool operator==(const HalfAcquisition&) const = default;
  };

  // Defective-pixel detection (PROTOCOL.md 10.10).
  struct DefectivePixels {
    bool enabled = false;
    double dead_threshold = 0.0, hot_threshold = 0.0, noisy_threshold = 0.0;
    bool operator==(const DefectivePixels&) const = default;
  };

  FilterWindow window = FilterWindow::ram_lak;
  Zingers zingers;
  Phase phase;
  Rings rings;
  HalfAcquisition half_acquisition;
  std::optional<DefectivePixels> defective_pixels = std::nullopt;  // absent from daemons older than the key

  bool operator==(const ProcessingSetting&) const = default;
};

// One re-filter of the resident projections.
struct RefilterResult {
  std::uint32_t projections = 0;       // stored projections re-filtered (0 when no scan holds any)
  double elapsed_ms = 0.0;             // re-filter and slice recompute, milliseconds
  std::uint64_t zingers_replaced = 0;  // pixels the zinger filter replaced
  std::uint64_t clamped_values = 0;    // transmissions clamped after phase retrieval

  bool operator==(const RefilterResult&) const = default;
};

// The newest re-filter of a scan and why it ran: "set_processing" or "rings_pass".
struct ScanRefilter {
  std::string reason;
  RefilterResult refilter;

  bool operator==(const ScanRefilter&) const = default;
};

// Pixels of each kind in a scan's defective-pixel map (a pixel of several kinds counts in each) and in all, each once.
struct DefectivePixelCounts {
  std::uint64_t dead = 0, hot = 0, noisy = 0, detector_mask = 0, total = 0;

  bool operator==(const DefectivePixelCounts&) const = default;
};

struct ScanStatus {
  std::uint64_t scan_id = 0;
  std::string name;
  std::string state;  // "receiving" or "ended"
  std::uint32_t rows = 0;
  std::uint32_t cols = 0;
  std::uint32_t window = 0;
  bool half_acquisition = false;  // from the begin
  // Columns of the reconstructed slices (N): cols, or the widened frame's width in a half-acquisition scan.
  std::uint32_t slice_cols = 0;
  std::uint32_t darks_received = 0, darks_expected = 0;
  std::uint32_t flats_received = 0, flats_expected = 0;
  std::uint32_t projections_received = 0, projections_expected = 0;
  std::uint32_t projections_missing = 0;  // ids never received (known at end; before, the gaps below the newest id)
  // Projections of this scan added to the reconstruction (a sliding window's replaced ones included); equal to
  // projections_expected once the scan's reconstruction has finished (the reconstruction_finished event).
  std::uint32_t projections_reconstructed = 0;
  double projection_rate_hz = 0.0;        // over the last second
  double center_offset_px = 0.0;
  double center_column_px = 0.0;
  double axis_tilt_deg = 0.0;  // the axis tilt corrected (set_center's tilt_deg), degrees; absent reads 0
  std::uint32_t xy_row = 0;
  double xz_y_px = 0.0;
  double yz_x_px = 0.0;
  std::optional<double> pixel_size_um;
  MemoryPlan memory;
  std::optional<CenterEstimateResult> center_estimate;  // the newest estimate of this scan
  std::optional<ScanRefilter> refilter;                 // the newest re-filter of this scan
  // The scan's defective-pixel map (PROTOCOL.md 10.10), from its first projection on, when detection was enabled then.
  std::optional<DefectivePixelCounts> defective_pixels = std::nullopt;
  std::optional<CommandProgress> command;               // the newest long engine command's progress

  bool operator==(const ScanStatus&) const = default;
};

// Named counters, in a stable order, so that adding a counter needs no codec change.
using CounterList = std::vector<std::pair<std::string, std::uint64_t>>;

// How the daemon's sockets are protected (PROTOCOL.md 2, "Security").
struct SecurityStatus {
  bool curve = false;             // every bound ZeroMQ socket authenticates clients by CURVE key
  bool insecure_network = false;  // plain ZeroMQ sockets may be bound beyond loopback (--insecure-network)
  bool control_token = false;     // control needs the token (browsers and ZeroMQ)

  bool operator==(const SecurityStatus&) const = default;
};

// The RDMA receiver (PROTOCOL.md, "RDMA"), when the daemon listens with --rdma.
struct RdmaStatus {
  std::string endpoints;  // "ADDRESS:PORT on DEVICE", comma-separated, one per --rdma
  std::string memory;     // where frames land, e.g. "host page-locked (the engine's frame memory)"
  std::string gpudirect;  // what GPUDirect RDMA support was found at start, and whether it is used
  std::uint32_t connections = 0;  // senders connected now

  bool operator==(const RdmaStatus&) const = default;
};

// One data socket as get_status reports it (PROTOCOL.md 10.3, "data_sockets").
struct DataSocketStatus {
  std::string endpoint;         // as bound (port resolved) or as connected
  bool connected = false;       // connected to a detector's bound PUSH (--data-connect); else bound (--data)
  std::string format_option;    // "auto" (detected per message) or the format --data-format forces
  std::string format;           // the format of the newest message received; "" before the first
  std::uint64_t messages = 0;   // messages received, valid or not
  std::uint64_t bytes = 0;      // bytes received, all parts
  std::uint64_t frames = 0;     // frames handed to the engine
  std::uint64_t rejected = 0;   // messages and images refused
  std::uint64_t images_held = 0;  // images of a series waiting for a scan plan now (PROTOCOL.md "Scan plans")
  bool curve = false;           // CURVE on this socket (server when bound, client when connected)
  std::uint64_t handshake_failures = 0;  // ZeroMQ handshakes that failed: a CURVE peer with other keys, a refusal
  std::string dectris_channel{};         // the Stream V2 channel taken from the newest image; "" before the first
  std::vector<std::string> dectris_channels{};  // the channels of the newest Stream V2 start or image, in order
  // The first distinct keys of the newest detector series (start, images, end) that this version does not read,
  // in the order first seen, at most 8 (PROTOCOL.md 16.8: ignored and counted in unknown_keys_ignored).
  std::vector<std::string> ignored_keys{};

  bool operator==(const DataSocketStatus&) const = default;
};

// The newest full volume (PROTOCOL.md 10.6), as get_status, reconstruct_volume and cancel_volume report it.
struct VolumeStatus {
  std::uint64_t scan_id = 0;
  // "computing" (slabs being reconstructed), "writing" (all computed, the file still being written), "finished",
  // "failed" or "cancelled".
  std::string state;
  std::string path;    // the final path (a file, or a folder for tiff and zarr)
  std::string format;  // "hdf5", "tiff", "zarr"
  std::string dtype;   // "float32", "float16", "uint16"
  std::array<std::uint32_t, 3> shape{};  // voxels written: z, y, x (after binning)
  SliceRegionField region{};             // of the XY slice, before binning
  std::array<std::uint32_t, 2> rows{};   // [first detector row, count], before binning
  std::uint32_t binning = 1;
  std::uint32_t slab_rows = 0;  // detector rows per slab
  std::uint32_t slabs_total = 0;
  std::uint32_t slabs_done = 0;     // computed
  std::uint32_t slabs_written = 0;  // written to disk
  std::uint64_t bytes_written = 0;
  double compute_s = 0.0;  // from the start to the last slab in host memory
  double elapsed_s = 0.0;  // from the start to now, or to the end
  std::optional<std::string> error;  // why it failed or was cancelled

  bool operator==(const VolumeStatus&) const = default;
};

// The raw-stream recorder (PROTOCOL.md 18): its setting and the newest recording.
struct RecordingStatus {
  bool enabled = false;   // scans are recorded (--record DIR)
  std::string directory;  // where ("" when not enabled)
  std::string policy;     // what happens when the disk is slower than the stream: "block" or "stop"
  std::string state;      // "idle" (none yet), "recording", "complete", "stopped" (see error), "failed" (see error)
  std::optional<std::uint64_t> scan_id;  // of the newest recording
  std::string file;       // its file: the final name once complete, else the ".partial" name being written
  std::uint64_t frames_written = 0;  // frames handed to the file
  std::uint64_t frames_durable = 0;  // of those, frames the last flush made durable (they survive a crash)
  std::uint64_t bytes_written = 0;   // frame bytes on disk (for "bslz4": compressed)
  std::uint64_t frames_dropped = 0;  // frames of the scan that will not be in the file (stopped or failed)
  std::uint32_t queue_frames = 0;    // frames waiting for the writer now
  std::uint32_t queue_capacity = 0;  // --record-queue-frames
  std::string error;                 // why the recording stopped or failed ("" otherwise)
  bool next_scan = false;            // the next scan to begin will be recorded (--record-scans, or a record command)
  // How the file stores frames, fixed by the recording's first frame: "bslz4" (it arrived bslz4-compressed: chunks
  // as the detector sent them), "raw" (as decoded); "" until the file exists (PROTOCOL.md 18).
  std::string encoding;

  bool operator==(const RecordingStatus&) const = default;
};

// The capture ring and the newest triggered capture (PROTOCOL.md 18.1).
struct CaptureStatus {
  bool enabled = false;        // a ring is kept (--capture-ring-s > 0)
  double ring_s = 0.0;         // --capture-ring-s: seconds of projections the ring keeps, at most
  std::uint64_t ring_capacity_bytes = 0;  // --capture-ring-mb, in bytes: pixel bytes the ring keeps, at most
  std::uint32_t ring_frames = 0;  // frames in the ring now (the scan's darks and flats included)
  std::uint64_t ring_bytes = 0;   // their pixel bytes
  double ring_span_s = 0.0;       // received time from the oldest to the newest projection in the ring, seconds
  std::string state;  // "idle" (none yet), "capturing", "complete", "failed" (see error)
  std::optional<std::uint64_t> scan_id;  // of the newest capture
  std::string file;   // its file: the final name once complete, else the ".partial" name being written
  std::uint64_t frames_written = 0;  // frames of the newest capture in its file
  double remaining_s = 0.0;          // seconds until the capture stops taking new frames (0 once it has)
  std::string error;                 // why the capture failed ("" otherwise)

  bool operator==(const CaptureStatus&) const = default;
};

// The live 3D preview (PROTOCOL.md 10.12), as get_status and set_preview report it.
struct PreviewStatus {
  bool enabled = false;
  std::uint32_t side = 0;                 // voxels along the longest side, as set (also while disabled)
  std::array<std::uint32_t, 3> shape{};   // [layers, rows, cols] of the active scan's preview; zeros without one
  std::uint32_t binning = 0;              // detector pixels per voxel side; 0 without a preview
  std::uint64_t bytes = 0;                // memory the preview holds now
  std::uint64_t budget_bytes = 0;         // the most the engine's plan reserves for it (memory.preview_bytes)
  std::uint64_t version = 0;              // the engine's preview version (changes with the voxels)
  std::uint64_t published = 0;            // preview snapshots sent to browsers since start (PROTOCOL.md 14.6)
  double interval_s = 0.0;                // the least time between two snapshots

  bool operator==(const PreviewStatus&) const = default;
};

// The daemon's configuration file and its reloads (SIGHUP; README "Configuration file").
struct ConfigStatus {
  std::string file;            // the configuration file read at start; "" when none
  std::string loaded_at;       // when the running configuration was read (start or the newest applied reload), UTC,
                               // ISO 8601 ("2026-12-07T04:10:00Z")
  std::uint64_t reloads = 0;   // reloads applied since start (a refused file is not counted)
  std::string last_error;      // why the newest reload was refused ("FILE:LINE:COLUMN: key 'x': reason"); "" if not
  std::string restart_needed;  // keys whose value in the file differs from the running one and that only a restart
                               // applies, comma-separated ("data-hwm, http"); "" when none

  bool operator==(const ConfigStatus&) const = default;
};

// One slab of the detector's rows and its engine, when the engine spans several devices (PROTOCOL.md 10.13).
struct EngineSlab {
  std::string engine;                          // the slab's engine and its device
  std::array<std::uint32_t, 2> rows{};         // detector rows it owns (publishes): [first, count]
  std::array<std::uint32_t, 2> frame_rows{};   // detector rows its engine holds, halo included: [first, count]
  bool lost = false;                           // its engine failed (EngineLostError) during the scan
  std::string lost_reason;                     // why, when lost; "" otherwise

  bool operator==(const EngineSlab&) const = default;
};

// The engine's slabs (PROTOCOL.md 10.13), when it spans several devices (--gpus, --cpu-slabs).
struct EngineSlabsStatus {
  std::uint32_t halo_rows = 0;         // rows each slab's engine reads from each neighbouring slab
  std::uint32_t halo_needed_rows = 0;  // rows the current processing, tilt and preview would need for exact edges
  bool edge_rows_approximate = false;  // halo_needed_rows > halo_rows: rows near a slab's edge are approximate
  std::uint32_t lost = 0;              // slabs lost (their devices are not used again until a restart)
  std::vector<EngineSlab> slabs;       // the active scan's, top rows first; empty before the first scan

  bool operator==(const EngineSlabsStatus&) const = default;
};

struct Status {
  std::string version;  // daemon version
  std::string engine;   // "cpu" or "cuda"
  double uptime_s = 0.0;
  CounterList counters;             // totals since the daemon started
  CounterList rejected_by_reason;   // ErrorCode name -> count
  ProcessingSetting processing;     // in use now, and by the next scan
  std::optional<ScanStatus> scan;   // the newest scan, if any
  std::optional<SecurityStatus> security;  // absent from daemons older than the key
  std::optional<RdmaStatus> rdma;          // absent without --rdma
  std::vector<DataSocketStatus> data_sockets;  // one per data socket; empty from daemons older than the key
  std::optional<VolumeStatus> volume;      // the newest full volume, if any
  std::optional<RecordingStatus> recording;  // absent from daemons older than the key
  std::optional<CaptureStatus> capture;      // absent from daemons older than the key
  std::optional<ConfigStatus> config;        // absent from daemons older than the key
  std::optional<PreviewStatus> preview;      // absent from daemons older than the key
  std::optional<EngineSlabsStatus> engine_slabs;  // absent with an engine of one device

  bool operator==(const Status&) const = default;
};

struct CenterResult {
  double center_offset_px = 0.0;
  double center_column_px = 0.0;
  double recompute_ms = 0.0;
  double tilt_deg = 0.0;  // the axis tilt now corrected, degrees (added after the first release: absent reads 0)

  bool operator==(const CenterResult&) const = default;
};
struct SlicesResult {
  std::uint32_t xy_row = 0;
  double xz_y_px = 0.0;
  double yz_x_px = 0.0;
  double recompute_ms = 0.0;

  bool operator==(const SlicesResult&) const = default;
};
struct SweepResult {
  std::uint32_t xy_row = 0;
  SliceRegionField region{};       // [row0, col0, rows, cols] of the XY slice
  std::vector<double> centers_px;  // candidate offsets
  std::vector<double> metric;      // per candidate, lower = sharper
  double best_offset_px = 0.0;
  double elapsed_ms = 0.0;
  // Added last (older initialisers omit them): the images' sampling step (pixels of the XY slice) and shape
  // [rows, cols] = ceil(region side / pixel_step).
  std::uint32_t pixel_step = 1;
  std::array<std::uint32_t, 2> shape{};

  bool operator==(const SweepResult&) const = default;
};
struct ProcessingSweepResult {
  SweepParameter parameter = SweepParameter::delta_over_beta;
  std::uint32_t xy_row = 0;
  SliceRegionField region{};        // [row0, col0, rows, cols] of the XY slice
  std::vector<double> values;       // per candidate: delta/beta, ring size, or the window's index in `windows`
  std::vector<std::string> labels;  // per candidate, e.g. "delta_over_beta 250", "ring_size 11", "window hann"
  std::vector<double> metric;       // per candidate, lower = sharper (the center sweep's metric)
  std::uint32_t best_index = 0;     // the sharpest candidate
  double elapsed_ms = 0.0;

  bool operator==(const ProcessingSweepResult&) const = default;
};
struct ObliqueResult {
  bool enabled = false;
  std::vector<double> normal;                  // unit normal [x, y, z] (empty when disabled)
  double offset_px = 0.0;
  std::array<std::uint32_t, 2> shape{};        // [rows, cols] of the oblique slice ([0, 0] when disabled)
  double recompute_ms = 0.0;

  bool operator==(const ObliqueResult&) const = default;
};
struct ProcessingResult {
  ProcessingSetting processing;  // the whole setting now in use
  RefilterResult refilter;

  bool operator==(const ProcessingResult&) const = default;
};
// One pixel of a defective-pixel map: detector row and column, and its kinds as bits: 1 dead, 2 hot, 4 noisy,
// 8 detector_mask.
struct DefectivePixel {
  std::uint32_t row = 0, col = 0, kind = 0;

  bool operator==(const DefectivePixel&) const = default;
};
inline constexpr std::uint32_t kMaxDefectivePixelsListed = 65536;
struct DefectivePixelsResult {
  std::uint64_t scan_id = 0;
  bool built = false;  // false before the scan's first projection, or when detection was off then
  std::uint32_t rows = 0, cols = 0;
  DefectivePixelCounts counts;
  std::vector<DefectivePixel> pixels;  // row-major order, at most kMaxDefectivePixelsListed
  bool truncated = false;              // more pixels than kMaxDefectivePixelsListed were masked

  bool operator==(const DefectivePixelsResult&) const = default;
};

// center_sample's result (PROTOCOL.md 10.11). Sample-stage frame at angle 0: x along the detector's columns (toward
// higher columns), y along the beam (toward the source), z up (toward detector row 0); pixels, origin on the axis
// and the detector's middle row. The motions are the displacements to give the sample: -x, -y, -z.
struct CenterSampleResult {
  std::string slice;  // as requested
  double x_px = 0.0, y_px = 0.0, z_px = 0.0;
  double move_x_px = 0.0, move_y_px = 0.0, move_z_px = 0.0;
  std::optional<double> pixel_size_um;  // the one used for the _um values; absent: none known
  std::optional<double> move_x_um, move_y_um, move_z_um;
  // "projections" only: projections fitted, the fit's RMS residual (pixels) and the axis offset it found.
  std::optional<std::uint32_t> projections;
  std::optional<double> fit_rms_px;
  std::optional<double> axis_offset_px;

  bool operator==(const CenterSampleResult&) const = default;
};

using ReplyResult = std::variant<std::monostate, Status, CenterResult, SlicesResult, SliceUpdate,
                                 CenterEstimateResult, SweepResult, ProcessingResult, VolumeStatus, RecordingStatus,
                                 CaptureStatus, ProcessingSweepResult, ObliqueResult, DefectivePixelsResult,
                                 CenterSampleResult, PreviewStatus>;

// The answer to every control request: ok with a result, or an error.
struct Reply {
  std::string command;  // the request's type, or "" when the request could not be decoded
  std::optional<Error> error;
  ReplyResult result;
  bool ok() const { return !error.has_value(); }

  bool operator==(const Reply&) const = default;
};

}  // namespace tomolive::protocol
