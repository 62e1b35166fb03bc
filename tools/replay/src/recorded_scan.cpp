#include "tomolive/replay/recorded_scan.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <iterator>
#include <map>
#include <numbers>
#include <optional>
#include <stdexcept>

#include "tomolive/storage/hdf5_error.hpp"

namespace tomolive::replay {
namespace {

namespace hdf5 = storage::hdf5;
using storage::DiskOperation;

// Whether every link of the absolute `path` exists (H5Lexists fails on a missing intermediate group).
bool exists(hid_t file, const std::string& path) {
  for (std::size_t slash = path.find('/', 1);; slash = path.find('/', slash + 1)) {
    const std::string prefix = path.substr(0, slash);
    if (H5Lexists(file, prefix.c_str(), H5P_DEFAULT) <= 0) return false;
    if (slash == std::string::npos) return true;
  }
}

class Reader {
 public:
  explicit Reader(const hdf5::Hdf5File& file) : file_(file) {}

  hdf5::Dataset open(const std::string& path) const {
    return hdf5::Dataset(hdf5::check_id(H5Dopen2(file_.id(), path.c_str(), H5P_DEFAULT), "opening " + path,
                                        DiskOperation::open_file, file_.path()));
  }
  hsize_t length(const hdf5::Dataset& dataset) const {
    const hdf5::Dataspace space(H5Dget_space(dataset.get()));
    hsize_t dims[H5S_MAX_RANK] = {};
    const int rank = H5Sget_simple_extent_dims(space.get(), dims, nullptr);
    return rank == 0 ? 1 : dims[0];
  }
  // The whole 1-D (or scalar) dataset at `path`, converted to `T` (HDF5 converts numeric types).
  template <typename T>
  std::vector<T> values(const std::string& path, hid_t memory_type) const {
    const hdf5::Dataset dataset = open(path);
    std::vector<T> result(length(dataset));
    hdf5::check(H5Dread(dataset.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, result.data()),
                "reading " + path, DiskOperation::open_file, file_.path());
    return result;
  }
  template <typename T>
  std::optional<T> scalar(const std::string& path, hid_t memory_type) const {
    if (!exists(file_.id(), path)) return std::nullopt;
    const std::vector<T> all = values<T>(path, memory_type);
    return all.empty() ? std::nullopt : std::optional<T>(all.front());
  }
  // The scalar string dataset at `path`; nullopt when absent or not a string.
  std::optional<std::string> text(const std::string& path) const {
    if (!exists(file_.id(), path)) return std::nullopt;
    const hdf5::Dataset dataset = open(path);
    const hdf5::Datatype stored(H5Dget_type(dataset.get()));
    return read_string(stored.get(), "reading " + path, [&](hid_t memory, void* buffer) {
      return H5Dread(dataset.get(), memory, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer);
    });
  }
  // The string attribute `name` of the dataset at `path` (e.g. its "units"); nullopt when absent or not a string.
  std::optional<std::string> text_attribute(const std::string& path, const char* name) const {
    const hdf5::Dataset dataset = open(path);
    if (H5Aexists(dataset.get(), name) <= 0) return std::nullopt;
    const hdf5::Attribute attribute(hdf5::check_id(H5Aopen(dataset.get(), name, H5P_DEFAULT),
                                                   "opening attribute " + std::string(name) + " of " + path,
                                                   DiskOperation::open_file, file_.path()));
    const hdf5::Datatype stored(H5Aget_type(attribute.get()));
    return read_string(stored.get(), "reading attribute " + std::string(name) + " of " + path,
                       [&](hid_t memory, void* buffer) { return H5Aread(attribute.get(), memory, buffer); });
  }

 private:
  // A string of type `stored` (fixed or variable length) read by `read(memory type, buffer)`; nullopt when `stored`
  // is not a string type.
  template <typename Read>
  std::optional<std::string> read_string(hid_t stored, const std::string& what, Read read) const {
    if (H5Tget_class(stored) != H5T_STRING) return std::nullopt;
    const hdf5::Datatype memory(H5Tcopy(H5T_C_S1));
    H5Tset_cset(memory.get(), H5Tget_cset(stored));
    if (H5Tis_variable_str(stored) > 0) {
      H5Tset_size(memory.get(), H5T_VARIABLE);
      char* value = nullptr;
      hdf5::check(read(memory.get(), &value), what, DiskOperation::open_file, file_.path());
      std::string result = value != nullptr ? value : "";
      H5free_memory(value);
      return result;
    }
    std::string result(H5Tget_size(stored), '\0');
    H5Tset_size(memory.get(), result.size());
    H5Tset_strpad(memory.get(), H5T_STR_NULLPAD);
    hdf5::check(read(memory.get(), result.data()), what, DiskOperation::open_file, file_.path());
    return result.substr(0, result.find('\0'));
  }

  const hdf5::Hdf5File& file_;
};

std::string lower_case(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// Degrees per unit of an angle dataset's `units` attribute (NeXus NX_ANGLE): "deg", "degree", "degrees" -> 1;
// "rad", "radian", "radians" -> 180/pi (any case). No attribute: degrees, as NXtomo and dxchange's readers assume.
double degrees_per_unit(const Reader& reader, const std::string& path) {
  const std::optional<std::string> units = reader.text_attribute(path, "units");
  if (!units) return 1.0;
  const std::string name = lower_case(*units);
  if (name == "deg" || name == "degree" || name == "degrees") return 1.0;
  if (name == "rad" || name == "radian" || name == "radians") return 180.0 / std::numbers::pi;
  throw std::runtime_error(path + ": units \"" + *units + "\": expected degrees (deg, degree, degrees) or radians "
                           "(rad, radian, radians)");
}

// The angles of `path` in degrees (its units honoured).
std::vector<double> angles_in_degrees(const Reader& reader, const std::string& path) {
  std::vector<double> angles = reader.values<double>(path, H5T_NATIVE_DOUBLE);
  const double scale = degrees_per_unit(reader, path);
  for (double& angle : angles) angle *= scale;
  return angles;
}

// Micrometres per unit of a length dataset's `units` attribute (NeXus NX_LENGTH): m, mm, um / µm / micron, nm
// (and the words metre, meter, micrometre, micrometer, nanometre, nanometer). No attribute: micrometres (what
// tomolived --record writes).
double micrometres_per_unit(const Reader& reader, const std::string& path) {
  const std::optional<std::string> units = reader.text_attribute(path, "units");
  if (!units) return 1.0;
  const std::string name = lower_case(*units);
  if (name == "m" || name == "metre" || name == "meter" || name == "metres" || name == "meters") return 1e6;
  if (name == "mm" || name == "millimetre" || name == "millimeter") return 1e3;
  if (name == "um" || name == "\u00b5m" || name == "\u03bcm" || name == "micron" || name == "microns" ||
      name == "micrometre" || name == "micrometer" || name == "micrometres" || name == "micrometers") {
    return 1.0;
  }
  if (name == "nm" || name == "nanometre" || name == "nanometer") return 1e-3;
  throw std::runtime_error(path + ": units \"" + *units + "\": expected a length (m, mm, um, nm)");
}

// Where an NXtomo file keeps the frames' rotation angles: the application definition's /entry/sample/rotation_angle
// first, then tomolive's transformation (which that one links to) and the NXdata link; the first that exists.
constexpr const char* kRotationAnglePaths[] = {"/entry/sample/rotation_angle",
                                               "/entry/sample/transformations/rotation_angle",
                                               "/entry/data/rotation_angle"};

// The protocol dtype of a stored pixel type, and the native type to read it as.
std::pair<protocol::Dtype, hid_t> pixel_type(hid_t stored, const std::string& path) {
  const H5T_class_t type_class = H5Tget_class(stored);
  const std::size_t size = H5Tget_size(stored);
  if (type_class == H5T_FLOAT && size == 4) return {protocol::Dtype::float32, H5T_NATIVE_FLOAT};
  if (type_class == H5T_INTEGER && H5Tget_sign(stored) == H5T_SGN_NONE) {
    if (size == 1) return {protocol::Dtype::uint8, H5T_NATIVE_UINT8};
    if (size == 2) return {protocol::Dtype::uint16, H5T_NATIVE_UINT16};
    if (size == 4) return {protocol::Dtype::uint32, H5T_NATIVE_UINT32};
  }
  throw std::runtime_error(path + ": pixels of a type the protocol does not carry; expected uint8, uint16, uint32 "
                           "or float32");
}

}  // namespace

RecordedScan::RecordedScan(const std::filesystem::path& path) try
    : file_(storage::hdf5::Hdf5File::open_read_only(path)) {
  if (exists(file_.id(), "/entry/instrument/detector/data")) {
    read_nxtomo();
  } else if (exists(file_.id(), "/exchange/data")) {
    read_dxchange();
  } else {
    throw std::runtime_error("neither NXtomo (/entry/instrument/detector/data) nor DXchange (/exchange/data)");
  }
} catch (const storage::StorageError& error) {  // every message names the file
  throw storage::StorageError(path.string() + ": " + error.what(), error.error_number());
} catch (const std::runtime_error& error) {
  throw std::runtime_error(path.string() + ": " + error.what());
}

hsize_t RecordedScan::add_frame_dataset(const char* path) {
  const Reader reader(file_);
  hdf5::Dataset dataset = reader.open(path);
  const hdf5::Dataspace space(H5Dget_space(dataset.get()));
  hsize_t dims[H5S_MAX_RANK] = {};
  if (H5Sget_simple_extent_ndims(space.get()) != 3) {
    throw std::runtime_error(std::string(path) + ": expected 3 dimensions [frames, rows, cols]");
  }
  H5Sget_simple_extent_dims(space.get(), dims, nullptr);
  const hdf5::Datatype stored(H5Dget_type(dataset.get()));
  const auto [dtype, native] = pixel_type(stored.get(), path);
  if (datasets_.empty()) {
    begin_.rows = static_cast<std::uint32_t>(dims[1]);
    begin_.cols = static_cast<std::uint32_t>(dims[2]);
    begin_.dtype = dtype;
    memory_type_ = hdf5::Datatype(H5Tcopy(native));
  } else if (dims[1] != begin_.rows || dims[2] != begin_.cols || dtype != begin_.dtype) {
    throw std::runtime_error(std::string(path) + ": frames of another shape or type than /exchange/data's");
  }
  datasets_.push_back(std::move(dataset));
  return dims[0];
}

void RecordedScan::read_nxtomo() {
  layout_ = "NXtomo";
  const Reader reader(file_);
  const hsize_t count = add_frame_dataset("/entry/instrument/detector/data");
  const std::vector<int> keys = reader.values<int>("/entry/instrument/detector/image_key", H5T_NATIVE_INT);
  const auto angle_path = std::find_if(std::begin(kRotationAnglePaths), std::end(kRotationAnglePaths),
                                       [&](const char* path) { return exists(file_.id(), path); });
  if (angle_path == std::end(kRotationAnglePaths)) {
    throw std::runtime_error("no rotation angles: neither /entry/sample/rotation_angle (NXtomo) nor "
                             "/entry/sample/transformations/rotation_angle nor /entry/data/rotation_angle");
  }
  const std::vector<double> angles = angles_in_degrees(reader, *angle_path);
  std::optional<std::vector<std::uint64_t>> ids;
  if (exists(file_.id(), "/entry/instrument/detector/frame_id")) {
    ids = reader.values<std::uint64_t>("/entry/instrument/detector/frame_id", H5T_NATIVE_UINT64);
  }
  if (keys.size() != count || angles.size() != count || (ids && ids->size() != count)) {
    throw std::runtime_error("image_key, rotation_angle and frame_id must have one value per frame of data");
  }
  std::map<std::uint64_t, double> projection_angles;  // by frame id
  std::uint64_t per_kind[3] = {0, 0, 0};
  for (hsize_t i = 0; i < count; ++i) {
    RecordedFrame frame;
    switch (keys[i]) {
      case 0: frame.kind = protocol::FrameKind::projection; break;
      case 1: frame.kind = protocol::FrameKind::flat; break;
      case 2: frame.kind = protocol::FrameKind::dark; break;
      default: continue;  // NXtomo's 3 (invalid) and anything else: not replayed
    }
    const auto kind_index = static_cast<std::size_t>(keys[i]);
    frame.frame_id = ids ? (*ids)[i] : per_kind[kind_index];
    ++per_kind[kind_index];
    frame.angle_deg = angles[i];
    frame.index = i;
    if (frame.kind == protocol::FrameKind::projection) projection_angles[frame.frame_id] = angles[i];
    frames_.push_back(frame);
  }
  // The daemon takes darks and flats before the projections (reference_after_projections otherwise): references
  // stored after a projection (e.g. closing flats) are sent with the others, each group keeping the file's order.
  const auto first_projection = std::find_if(frames_.begin(), frames_.end(), [](const RecordedFrame& f) {
    return f.kind == protocol::FrameKind::projection;
  });
  const auto late = std::count_if(first_projection, frames_.end(), [](const RecordedFrame& f) {
    return f.kind != protocol::FrameKind::projection;
  });
  if (late > 0) {
    std::stable_partition(frames_.begin(), frames_.end(),
                          [](const RecordedFrame& f) { return f.kind != protocol::FrameKind::projection; });
    notes_.push_back(std::to_string(late) + " darks or flats stored after projections are sent before the "
                     "projections (the daemon takes references first)");
  }
  begin_.num_projections = static_cast<std::uint32_t>(per_kind[0]);
  begin_.num_flats = static_cast<std::uint32_t>(per_kind[1]);
  begin_.num_darks = static_cast<std::uint32_t>(per_kind[2]);
  protocol::AngleTable table;
  for (const auto& [id, angle] : projection_angles) table.angles_deg.push_back(angle);
  begin_.angles = table;
  // Ours (/entry/tomolive) carries the begin; any NXtomo has the title and the axis position.
  begin_.scan_id = static_cast<std::uint64_t>(reader.scalar<std::int64_t>("/entry/tomolive/scan_id",
                                                                          H5T_NATIVE_INT64).value_or(1));
  begin_.name = reader.text("/entry/title").value_or("");
  begin_.window = static_cast<std::uint32_t>(
      reader.scalar<std::int64_t>("/entry/tomolive/window", H5T_NATIVE_INT64).value_or(0));
  begin_.half_acquisition =
      reader.scalar<std::int64_t>("/entry/tomolive/half_acquisition", H5T_NATIVE_INT64).value_or(0) != 0;
  if (const auto axis = reader.scalar<double>("/entry/instrument/detector/x_rotation_axis_pixel_position",
                                              H5T_NATIVE_DOUBLE)) {
    begin_.center_offset_px = *axis - (static_cast<double>(begin_.cols) - 1.0) / 2.0;
  }
  const std::string pixel_size = "/entry/instrument/detector/x_pixel_size";
  if (const auto size = reader.scalar<double>(pixel_size, H5T_NATIVE_DOUBLE)) {
    begin_.pixel_size_um = *size * micrometres_per_unit(reader, pixel_size);
  }
}

void RecordedScan::read_dxchange() {
  layout_ = "DXchange";
  const Reader reader(file_);
  const hsize_t projections = add_frame_dataset("/exchange/data");
  const auto add_references = [&](const char* path, protocol::FrameKind kind) {
    if (!exists(file_.id(), path)) return std::uint32_t{0};
    const hsize_t dataset = datasets_.size();
    const hsize_t count = add_frame_dataset(path);
    for (hsize_t i = 0; i < count; ++i) frames_.push_back(RecordedFrame{kind, i, 0.0, dataset, i});
    return static_cast<std::uint32_t>(count);
  };
  begin_.num_darks = add_references("/exchange/data_dark", protocol::FrameKind::dark);
  begin_.num_flats = add_references("/exchange/data_white", protocol::FrameKind::flat);
  std::vector<double> theta;
  if (exists(file_.id(), "/exchange/theta")) {
    theta = angles_in_degrees(reader, "/exchange/theta");
  } else {
    // As dxchange's readers do (np.linspace(0, 180, n)): n angles from 0 to 180 degrees, both ends included.
    for (hsize_t i = 0; i < projections; ++i) {
      theta.push_back(projections > 1 ? 180.0 * static_cast<double>(i) / static_cast<double>(projections - 1) : 0.0);
    }
    notes_.push_back("no /exchange/theta: " + std::to_string(projections) +
                     " angles generated evenly from 0 to 180 degrees, both included (as dxchange does)");
  }
  if (theta.size() != projections) {
    throw std::runtime_error("/exchange/theta has " + std::to_string(theta.size()) + " angles for " +
                             std::to_string(projections) + " projections in /exchange/data");
  }
  for (hsize_t i = 0; i < projections; ++i) {
    frames_.push_back(RecordedFrame{protocol::FrameKind::projection, i, theta[i], 0, i});
  }
  begin_.num_projections = static_cast<std::uint32_t>(projections);
  begin_.angles = protocol::AngleTable{theta};
  begin_.scan_id = 1;
}

std::size_t RecordedScan::frame_bytes() const {
  return std::size_t{begin_.rows} * begin_.cols * protocol::itemsize(begin_.dtype);
}

void RecordedScan::read(std::size_t i, std::span<std::byte> pixels) const {
  const RecordedFrame& frame = frames_.at(i);
  if (pixels.size() != frame_bytes()) throw std::invalid_argument("RecordedScan::read: wrong buffer size");
  const hdf5::Dataset& dataset = datasets_[frame.dataset];
  const hdf5::Dataspace file_space(H5Dget_space(dataset.get()));
  const hsize_t start[3] = {frame.index, 0, 0};
  const hsize_t count[3] = {1, begin_.rows, begin_.cols};
  hdf5::check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr),
              "selecting a frame", DiskOperation::open_file, file_.path());
  const hdf5::Dataspace memory_space(H5Screate_simple(3, count, nullptr));
  hdf5::check(H5Dread(dataset.get(), memory_type_.get(), memory_space.get(), file_space.get(), H5P_DEFAULT,
                      pixels.data()),
              "reading frame " + std::to_string(frame.index), DiskOperation::open_file, file_.path());
}

}  // namespace tomolive::replay
