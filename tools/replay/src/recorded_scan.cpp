#include "tomolive/replay/recorded_scan.hpp"

#include <cmath>
#include <cstring>
#include <map>
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
  std::optional<std::string> text(const std::string& path) const {
    if (!exists(file_.id(), path)) return std::nullopt;
    const hdf5::Dataset dataset = open(path);
    const hdf5::Datatype stored(H5Dget_type(dataset.get()));
    if (H5Tget_class(stored.get()) != H5T_STRING) return std::nullopt;
    const hdf5::Datatype memory(H5Tcopy(H5T_C_S1));
    H5Tset_cset(memory.get(), H5Tget_cset(stored.get()));
    if (H5Tis_variable_str(stored.get()) > 0) {
      H5Tset_size(memory.get(), H5T_VARIABLE);
      char* value = nullptr;
      hdf5::check(H5Dread(dataset.get(), memory.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, &value), "reading " + path,
                  DiskOperation::open_file, file_.path());
      std::string result = value != nullptr ? value : "";
      H5free_memory(value);
      return result;
    }
    std::string result(H5Tget_size(stored.get()), '\0');
    H5Tset_size(memory.get(), result.size());
    H5Tset_strpad(memory.get(), H5T_STR_NULLPAD);
    hdf5::check(H5Dread(dataset.get(), memory.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, result.data()),
                "reading " + path, DiskOperation::open_file, file_.path());
    return result.substr(0, result.find('\0'));
  }

 private:
  const hdf5::Hdf5File& file_;
};

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
  const std::vector<double> angles =
      reader.values<double>("/entry/sample/transformations/rotation_angle", H5T_NATIVE_DOUBLE);
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
  begin_.pixel_size_um = reader.scalar<double>("/entry/instrument/detector/x_pixel_size", H5T_NATIVE_DOUBLE);
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
  const std::vector<double> theta = reader.values<double>("/exchange/theta", H5T_NATIVE_DOUBLE);
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
