// TIFF stack: a folder of one float32 TIFF per z-layer (base_name_00000.tif, ...; 5 digits, more when z needs them),
// what UFO/tofu and ImageJ load as a stack. Each file: one strip per 16 rows, no compression, SampleFormat IEEE float,
// and the reconstruction parameters as JSON in ImageDescription (with the layer's z).
#include <tiffio.h>

#include <cerrno>
#include <cstdio>
#include <string>

#include "tomolive/storage/disk_error.hpp"
#include "volume_writer_formats.hpp"

namespace tomolive::storage::detail {
namespace {

// A TIFF* closed (and its last writes flushed) by close() or, silently, by the destructor.
class TiffHandle {
 public:
  explicit TiffHandle(TIFF* tiff) : tiff_(tiff) {}
  ~TiffHandle() {
    if (tiff_ != nullptr) TIFFClose(tiff_);
  }
  TiffHandle(const TiffHandle&) = delete;
  TiffHandle& operator=(const TiffHandle&) = delete;
  TIFF* get() const { return tiff_; }
  // Flushes and closes; false when the flush failed (errno says why).
  bool close() {
    const bool flushed = TIFFFlush(tiff_) == 1;
    TIFFClose(tiff_);
    tiff_ = nullptr;
    return flushed;
  }

 private:
  TIFF* tiff_;
};

// libtiff prints its warnings and errors to stderr by default; failures are reported through StorageError instead.
void silence_libtiff() {
  TIFFSetWarningHandler(nullptr);
  TIFFSetErrorHandler(nullptr);
}

class TiffVolumeWriter final : public VolumeWriter {
 public:
  TiffVolumeWriter(const VolumeFileSpec& spec, std::unique_ptr<TemporaryOutput> output,
                   std::shared_ptr<WriteFaults> faults)
      : spec_(spec), output_(std::move(output)), faults_(std::move(faults)) {
    silence_libtiff();
    std::error_code error;
    if (!std::filesystem::create_directory(output_->temporary_path(), error)) {
      throw disk_error(error ? error.value() : EEXIST, DiskOperation::create_file, output_->temporary_path());
    }
    digits_ = std::max<std::size_t>(5, std::to_string(spec_.shape[0] - 1).size());
  }

  void write_layers(std::span<const float> values, std::uint32_t layers) override {
    const std::uint32_t rows = spec_.shape[1], cols = spec_.shape[2];
    const std::size_t layer = std::size_t{rows} * cols;
    if (values.size() != layer * layers || next_z_ + layers > spec_.shape[0]) {
      throw StorageError("volume " + output_->final_path().string() + ": " + std::to_string(layers) +
                             " layers after " + std::to_string(next_z_) + " do not fit the shape",
                         EINVAL);
    }
    for (std::uint32_t k = 0; k < layers; ++k) write_layer(values.subspan(k * layer, layer));
  }

  void finish() override { output_->commit(); }

  std::uint64_t bytes_written() const override { return bytes_; }
  std::uint64_t clamped_voxels() const override { return 0; }
  const std::filesystem::path& final_path() const override { return output_->final_path(); }
  const std::filesystem::path& temporary_path() const override { return output_->temporary_path(); }

 private:
  void write_layer(std::span<const float> values) {
    std::string number = std::to_string(next_z_);
    number.insert(0, digits_ - std::min(digits_, number.size()), '0');
    const std::filesystem::path path = output_->temporary_path() / (spec_.base_name + "_" + number + ".tif");
    check_write(faults_.get(), values.size_bytes(), path);
    errno = 0;
    TiffHandle tiff(TIFFOpen(path.c_str(), "w"));
    if (tiff.get() == nullptr) throw disk_error(errno != 0 ? errno : EIO, DiskOperation::create_file, path);
    const std::uint32_t rows = spec_.shape[1], cols = spec_.shape[2];
    nlohmann::json description = spec_.parameters;
    description["z"] = next_z_;
    description["units"] = "1/pixel";
    const std::string text = description.dump();
    TIFFSetField(tiff.get(), TIFFTAG_IMAGEWIDTH, cols);
    TIFFSetField(tiff.get(), TIFFTAG_IMAGELENGTH, rows);
    TIFFSetField(tiff.get(), TIFFTAG_SAMPLESPERPIXEL, 1);
    TIFFSetField(tiff.get(), TIFFTAG_BITSPERSAMPLE, 32);
    TIFFSetField(tiff.get(), TIFFTAG_SAMPLEFORMAT, SAMPLEFORMAT_IEEEFP);
    TIFFSetField(tiff.get(), TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
    TIFFSetField(tiff.get(), TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
    TIFFSetField(tiff.get(), TIFFTAG_COMPRESSION, COMPRESSION_NONE);
    TIFFSetField(tiff.get(), TIFFTAG_ROWSPERSTRIP, 16);
    TIFFSetField(tiff.get(), TIFFTAG_IMAGEDESCRIPTION, text.c_str());
    TIFFSetField(tiff.get(), TIFFTAG_SOFTWARE, "tomolive");
    for (std::uint32_t row0 = 0, strip = 0; row0 < rows; row0 += 16, ++strip) {
      const std::uint32_t strip_rows = std::min(16u, rows - row0);
      // libtiff takes a non-const buffer but does not modify it without compression.
      void* data = const_cast<float*>(values.data() + std::size_t{row0} * cols);
      errno = 0;
      if (TIFFWriteEncodedStrip(tiff.get(), strip, data, static_cast<tmsize_t>(strip_rows) * cols * 4) < 0) {
        throw disk_error(errno != 0 ? errno : EIO, DiskOperation::write_file, path);
      }
    }
    errno = 0;
    if (!tiff.close()) throw disk_error(errno != 0 ? errno : EIO, DiskOperation::write_file, path);
    bytes_ += std::filesystem::file_size(path);
    ++next_z_;
  }

  VolumeFileSpec spec_;
  std::unique_ptr<TemporaryOutput> output_;
  std::shared_ptr<WriteFaults> faults_;
  std::size_t digits_ = 5;
  std::uint32_t next_z_ = 0;
  std::uint64_t bytes_ = 0;
};

}  // namespace

std::unique_ptr<VolumeWriter> make_tiff_volume_writer(const VolumeFileSpec& spec, std::unique_ptr<TemporaryOutput> output,
                                                      std::shared_ptr<WriteFaults> faults) {
  return std::make_unique<TiffVolumeWriter>(spec, std::move(output), std::move(faults));
}

}  // namespace tomolive::storage::detail
