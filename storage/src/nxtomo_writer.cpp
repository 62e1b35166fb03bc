#include "tomolive/storage/nxtomo_writer.hpp"

#include <array>
#include <cstdio>
#include <ctime>
#include <stdexcept>
#include <variant>

#include "tomolive/storage/hdf5_error.hpp"

namespace tomolive::storage {
namespace {

using protocol::FrameKind;

constexpr hsize_t kListChunk = 1024;  // frames per chunk of the 1-D per-frame datasets

hid_t file_type(protocol::Dtype dtype) {
  switch (dtype) {
    case protocol::Dtype::uint8: return H5T_STD_U8LE;
    case protocol::Dtype::uint16: return H5T_STD_U16LE;
    case protocol::Dtype::uint32: return H5T_STD_U32LE;
    case protocol::Dtype::float32: return H5T_IEEE_F32LE;
  }
  return H5T_STD_U16LE;
}

// NXtomo's image_key.
std::int8_t image_key(FrameKind kind) {
  switch (kind) {
    case FrameKind::projection: return 0;
    case FrameKind::flat: return 1;
    case FrameKind::dark: return 2;
  }
  return 3;  // "invalid"
}

hdf5::ChunkedLayout frame_list_layout() { return {{0}, {H5S_UNLIMITED}, {kListChunk}, std::nullopt}; }

}  // namespace

std::string_view to_string(FrameEncoding encoding) { return encoding == FrameEncoding::bslz4 ? "bslz4" : "raw"; }

std::string iso8601_utc(std::int64_t time_ns) {
  const std::time_t seconds = static_cast<std::time_t>(time_ns / 1'000'000'000);
  const auto micros = static_cast<long>((time_ns % 1'000'000'000) / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  std::array<char, 64> text{};
  const std::size_t length = std::strftime(text.data(), text.size(), "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(text.data() + length, text.size() - length, ".%06ldZ", micros);
  return text.data();
}

NxtomoWriter::NxtomoWriter(const std::filesystem::path& path, const protocol::ScanBegin& begin,
                           std::int64_t start_time_ns, FrameEncoding encoding)
    : file_(hdf5::Hdf5File::create(path)), begin_(begin), encoding_(encoding) {
  file_.write_attribute(file_.id(), "default", "entry");
  entry_ = file_.create_group(file_.id(), "entry", "NXentry");
  file_.write_attribute(entry_.get(), "default", "data");
  file_.write_dataset(entry_.get(), "definition", "NXtomo");
  file_.write_dataset(entry_.get(), "title", begin.name);
  file_.write_dataset(entry_.get(), "entry_identifier", std::to_string(begin.scan_id));
  file_.write_dataset(entry_.get(), "start_time", iso8601_utc(start_time_ns));

  const hdf5::Group instrument = file_.create_group(entry_.get(), "instrument", "NXinstrument");
  const hdf5::Group detector = file_.create_group(instrument.get(), "detector", "NXdetector");
  const hsize_t rows = begin.rows;
  const hsize_t cols = begin.cols;
  hdf5::ChunkedLayout frames{{0, rows, cols}, {H5S_UNLIMITED, rows, cols}, {1, rows, cols}, std::nullopt};
  if (encoding == FrameEncoding::bslz4) frames.filter = hdf5::bitshuffle_lz4_filter();
  data_ = file_.create_chunked_dataset(detector.get(), "data", file_type(begin.dtype), frames);
  image_key_ = file_.create_chunked_dataset(detector.get(), "image_key", H5T_STD_I8LE, frame_list_layout());
  frame_id_ = file_.create_chunked_dataset(detector.get(), "frame_id", H5T_STD_U64LE, frame_list_layout());
  if (begin.pixel_size_um) {
    for (const char* name : {"x_pixel_size", "y_pixel_size"}) {
      const hdf5::Dataset size = file_.write_dataset(detector.get(), name, *begin.pixel_size_um);
      file_.write_attribute(size.get(), "units", "um");
    }
  }
  const hdf5::Dataset axis = file_.write_dataset(detector.get(), "x_rotation_axis_pixel_position",
                                                 (static_cast<double>(begin.cols) - 1.0) / 2.0 + begin.center_offset_px);
  file_.write_attribute(axis.get(), "units", "pixel");

  const hdf5::Group sample = file_.create_group(entry_.get(), "sample", "NXsample");
  file_.write_dataset(sample.get(), "name", begin.name);
  const hdf5::Group transformations = file_.create_group(sample.get(), "transformations", "NXtransformations");
  rotation_angle_ =
      file_.create_chunked_dataset(transformations.get(), "rotation_angle", H5T_IEEE_F64LE, frame_list_layout());
  file_.write_attribute(rotation_angle_.get(), "units", "degree");
  file_.write_attribute(rotation_angle_.get(), "transformation_type", "rotation");
  file_.write_attribute(rotation_angle_.get(), "depends_on", ".");
  {
    const std::array<double, 3> vertical{0.0, 1.0, 0.0};
    const hsize_t three = vertical.size();
    const hdf5::Dataspace space(H5Screate_simple(1, &three, nullptr));
    const hdf5::Attribute vector(
        H5Acreate2(rotation_angle_.get(), "vector", H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT));
    if (!vector || H5Awrite(vector.get(), H5T_NATIVE_DOUBLE, vertical.data()) < 0) {
      throw hdf5::failure("writing the rotation axis vector", DiskOperation::write_file, path);
    }
  }
  file_.link(sample.get(), "rotation_angle", "/entry/sample/transformations/rotation_angle");

  const hdf5::Group data = file_.create_group(entry_.get(), "data", "NXdata");
  file_.write_attribute(data.get(), "signal", "data");
  file_.link(data.get(), "data", "/entry/instrument/detector/data");
  file_.link(data.get(), "image_key", "/entry/instrument/detector/image_key");
  file_.link(data.get(), "rotation_angle", "/entry/sample/transformations/rotation_angle");

  collection_ = file_.create_group(entry_.get(), "tomolive", "NXcollection");
  const hid_t c = collection_.get();
  file_.write_dataset(c, "scan_id", static_cast<std::int64_t>(begin.scan_id));
  file_.write_dataset(c, "name", begin.name);
  file_.write_dataset(c, "rows", static_cast<std::int64_t>(begin.rows));
  file_.write_dataset(c, "cols", static_cast<std::int64_t>(begin.cols));
  file_.write_dataset(c, "dtype", protocol::to_string(begin.dtype));
  file_.write_dataset(c, "num_darks", static_cast<std::int64_t>(begin.num_darks));
  file_.write_dataset(c, "num_flats", static_cast<std::int64_t>(begin.num_flats));
  file_.write_dataset(c, "num_projections", static_cast<std::int64_t>(begin.num_projections));
  file_.write_dataset(c, "window", static_cast<std::int64_t>(begin.window));
  file_.write_dataset(c, "streams", static_cast<std::int64_t>(begin.streams));
  file_.write_dataset(c, "center_offset_px", begin.center_offset_px);
  file_.write_dataset(c, "half_acquisition", static_cast<std::int64_t>(begin.half_acquisition ? 1 : 0));
  if (begin.pixel_size_um) file_.write_dataset(c, "pixel_size_um", *begin.pixel_size_um);
  if (const auto* range = std::get_if<protocol::AngleRange>(&begin.angles)) {
    file_.write_dataset(c, "angle_start_deg", range->start_deg);
    file_.write_dataset(c, "angle_step_deg", range->step_deg);
  } else {
    file_.write_dataset(c, "angles_deg", std::span<const double>(std::get<protocol::AngleTable>(begin.angles).angles_deg));
  }
  file_.write_dataset(c, "frame_encoding", to_string(encoding));
  file_.write_attribute(c, "recording_state", "recording");
  file_.flush();
}

hsize_t NxtomoWriter::grow(FrameKind kind, std::uint64_t frame_id, double angle_deg) {
  if (kind == FrameKind::projection) last_angle_deg_ = angle_deg;
  const hsize_t index = frames_;
  const hsize_t count = frames_ + 1;
  const std::array<hsize_t, 3> frames_dims{count, begin_.rows, begin_.cols};
  const auto fail = [this](std::string_view what) {
    throw hdf5::failure(what, DiskOperation::write_file, file_.path());
  };
  if (H5Dset_extent(data_.get(), frames_dims.data()) < 0) fail("growing the frame dataset");
  const auto put = [&](const hdf5::Dataset& dataset, hid_t memory_type, const void* value, const char* what) {
    if (H5Dset_extent(dataset.get(), &count) < 0) fail(std::string("growing ") + what);
    const hdf5::Dataspace file_space(H5Dget_space(dataset.get()));
    const hsize_t one = 1;
    H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &index, nullptr, &one, nullptr);
    const hdf5::Dataspace memory_space(H5Screate_simple(1, &one, nullptr));
    if (H5Dwrite(dataset.get(), memory_type, memory_space.get(), file_space.get(), H5P_DEFAULT, value) < 0) {
      fail(std::string("writing ") + what);
    }
  };
  const std::int8_t key = image_key(kind);
  put(image_key_, H5T_NATIVE_INT8, &key, "image_key");
  put(frame_id_, H5T_NATIVE_UINT64, &frame_id, "frame_id");
  put(rotation_angle_, H5T_NATIVE_DOUBLE, &last_angle_deg_, "rotation_angle");
  return index;
}

void NxtomoWriter::append(FrameKind kind, std::uint64_t frame_id, double angle_deg,
                          std::span<const std::byte> pixels) {
  const std::size_t expected =
      static_cast<std::size_t>(begin_.rows) * begin_.cols * protocol::itemsize(begin_.dtype);
  if (pixels.size() != expected) {
    throw std::invalid_argument("frame of " + std::to_string(pixels.size()) + " bytes, expected " +
                                std::to_string(expected));
  }
  const hsize_t index = grow(kind, frame_id, angle_deg);
  const hdf5::Dataspace file_space(H5Dget_space(data_.get()));
  const std::array<hsize_t, 3> start{index, 0, 0};
  const std::array<hsize_t, 3> size{1, begin_.rows, begin_.cols};
  H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, size.data(), nullptr);
  const hdf5::Dataspace memory_space(H5Screate_simple(3, size.data(), nullptr));
  // The wire is little endian, as the file type: the memory type is the file type, so HDF5 converts nothing.
  if (H5Dwrite(data_.get(), file_type(begin_.dtype), memory_space.get(), file_space.get(), H5P_DEFAULT,
               pixels.data()) < 0) {
    throw hdf5::failure("writing frame " + std::to_string(index), DiskOperation::write_file, file_.path());
  }
  ++frames_;
  bytes_ += pixels.size();
}

void NxtomoWriter::append_compressed(FrameKind kind, std::uint64_t frame_id, double angle_deg,
                                     std::span<const std::byte> chunk) {
  if (encoding_ != FrameEncoding::bslz4) {
    throw std::logic_error("append_compressed on a recording of uncompressed frames");
  }
  const hsize_t index = grow(kind, frame_id, angle_deg);
  const std::array<hsize_t, 3> offset{index, 0, 0};
  // Filter mask 0: every filter of the pipeline (bitshuffle) was applied to this chunk.
  if (H5Dwrite_chunk(data_.get(), H5P_DEFAULT, 0, offset.data(), chunk.size(), chunk.data()) < 0) {
    throw hdf5::failure("writing compressed frame " + std::to_string(index), DiskOperation::write_file,
                        file_.path());
  }
  ++frames_;
  bytes_ += chunk.size();
}

void NxtomoWriter::flush() { file_.flush(); }

void NxtomoWriter::close(std::string_view state, std::int64_t end_time_ns) {
  file_.write_dataset(entry_.get(), "end_time", iso8601_utc(end_time_ns));
  if (H5Adelete(collection_.get(), "recording_state") < 0) {
    throw hdf5::failure("replacing the recording state", DiskOperation::write_file, file_.path());
  }
  file_.write_attribute(collection_.get(), "recording_state", state);
  data_.reset();
  image_key_.reset();
  frame_id_.reset();
  rotation_angle_.reset();
  collection_.reset();
  entry_.reset();
  file_.flush();
  file_.close();
}

void NxtomoWriter::stop(std::string_view reason, std::int64_t end_time_ns) {
  close("stopped: " + std::string(reason), end_time_ns);
}

void NxtomoWriter::finish(std::int64_t end_time_ns) { close("complete", end_time_ns); }

}  // namespace tomolive::storage
