// T6 (targets.md): the full volume from the resident, filtered store, end of scan -> every voxel in host memory, and
// the file write of that volume (HDF5, the daemon's default format) beside the disk's own write speed (dd-style:
// write + fdatasync of the same byte count in the same directory).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <stdexcept>
#include <system_error>

#include "measurements.hpp"
#include "tomolive/storage/volume_writer.hpp"

namespace tomolive::bench {
namespace {

using Clock = std::chrono::steady_clock;

// targets.md, "Full volume": the instruction-issue ceiling of a direct backprojection, 2.6 s for 2048^3 voxels from
// 3000 projections; scaled by voxel updates for other sizes.
constexpr double kDirectCeilingS = 2.6;
constexpr double kT6Updates = 2048.0 * 2048.0 * 2048.0 * 3000.0;
// The dd floor and the HDF5 writer hand the disk this much at a time.
constexpr std::size_t kWriteChunkBytes = std::size_t{64} << 20;

// Slabs an engine over several devices may compute at once into the host volume (one per device, and one more each
// being copied out): more than any node has devices.
constexpr std::size_t kMaxSlabsInFlight = 64;

// Hands out consecutive slabs of the one host volume: slab rows [row0, row0 + rows) land where they belong.
class HostVolumeSink final : public kernels::VolumeSink {
 public:
  HostVolumeSink(std::span<float> volume, std::size_t layer_floats) : volume_(volume), layer_(layer_floats) {}

  // Every slab has its own place in the one host volume: an engine over several devices may hold as many as it
  // computes at once.
  std::size_t max_outstanding_slabs() const override { return kMaxSlabsInFlight; }
  std::span<float> slab_memory(std::uint32_t row0, std::uint32_t rows) override {
    return volume_.subspan(row0 * layer_, rows * layer_);
  }
  bool slab_done(std::uint32_t, std::uint32_t rows) override {
    ++slabs_;
    layers_ += rows;
    return true;
  }
  std::uint32_t slabs() const { return slabs_; }
  std::uint32_t layers() const { return layers_; }

 private:
  std::span<float> volume_;
  std::size_t layer_;
  std::uint32_t slabs_ = 0, layers_ = 0;
};

double gb(double bytes) { return bytes / 1e9; }

// `value` with `digits` decimals.
std::string text(double value, int digits) {
  char out[32];
  std::snprintf(out, sizeof out, "%.*f", digits, value);
  return out;
}

// Writes `bytes` of `data` (repeated as needed) to a new file in `directory`, fdatasync, then removes it: the disk's
// own sequential write speed, bytes per second.
double dd_floor(const std::filesystem::path& directory, std::span<const std::byte> data, std::uint64_t bytes) {
  const std::filesystem::path path = directory / (".tomolive-bench-dd-" + std::to_string(::getpid()));
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "dd floor: cannot create " + path.string());
  const auto start = Clock::now();
  std::uint64_t done = 0;
  int error = 0;
  while (done < bytes && error == 0) {
    const std::size_t offset = static_cast<std::size_t>(done % data.size());
    const std::size_t size = static_cast<std::size_t>(std::min<std::uint64_t>(
        {bytes - done, kWriteChunkBytes, data.size() - offset}));
    const ssize_t written = ::write(fd, data.data() + offset, size);
    if (written < 0 && errno != EINTR) error = errno;
    if (written > 0) done += static_cast<std::uint64_t>(written);
  }
  if (error == 0 && ::fdatasync(fd) != 0) error = errno;
  const double seconds = seconds_since(start);
  ::close(fd);
  std::filesystem::remove(path);
  if (error != 0) throw std::system_error(error, std::generic_category(), "dd floor: writing " + path.string());
  return static_cast<double>(bytes) / seconds;
}

struct FileWrite {
  std::uint64_t bytes = 0;
  double seconds = 0.0;
};

// Writes the first `layers` layers of the host volume as the daemon does (HDF5, float32, chunked by layer, synced
// and renamed when complete), then removes the file.
FileWrite write_hdf5(const std::filesystem::path& directory, std::span<const float> volume, std::uint32_t n,
                     std::uint32_t layers) {
  storage::VolumeFileSpec spec;
  spec.directory = directory;
  spec.base_name = "tomolive-bench-volume-" + std::to_string(::getpid());
  spec.shape = {layers, n, n};
  spec.parameters = {{"written_by", "tomolive-bench T6"}};
  const std::size_t layer = std::size_t{n} * n;
  const std::uint32_t layers_per_write = static_cast<std::uint32_t>(
      std::max<std::size_t>(1, kWriteChunkBytes / (layer * sizeof(float))));
  const auto start = Clock::now();
  auto writer = storage::make_volume_writer(spec, nullptr);
  for (std::uint32_t z = 0; z < layers; z += layers_per_write) {
    const std::uint32_t count = std::min(layers_per_write, layers - z);
    writer->write_layers(volume.subspan(z * layer, count * layer), count);
  }
  writer->finish();
  FileWrite result{writer->bytes_written(), seconds_since(start)};
  std::filesystem::remove(writer->final_path());
  return result;
}

}  // namespace

Workload volume_workload(const VolumeSettings& settings) {
  return Workload{"T6", settings.size, settings.size, settings.projections, false, "full volume"};
}

VolumeTiming time_volume(kernels::Engine& engine, const VolumeHost& host, const VolumeSettings& settings,
                         std::ostream& log) {
  const std::uint32_t n = settings.size;
  const Workload workload = volume_workload(settings);
  const std::size_t layer = std::size_t{n} * n;
  if (host.volume.size() < layer * n) throw std::invalid_argument("time_volume: the host volume is too small");
  log << describe_plan("T6", workload.geometry(), engine.plan(workload.geometry())) << "\n";

  // The scan: every projection filtered into the store and its slices up to date, as the daemon keeps them while a
  // scan runs (copy_slice waits for the engine's pending work): the end of the scan.
  {
    const Frames frames = render_frames(n, n, std::min<std::uint32_t>(8, settings.projections));
    Feeder feeder(engine, workload, frames);
    feeder.begin_scan();
    feeder.projections(settings.projections, pageable_data(frames));
    std::vector<float> xy(layer);
    engine.copy_slice(kernels::Orthoslice::xy, xy);
  }

  const kernels::VolumeBox box{{0, 0, n, n}, 0, n};
  VolumeTiming timing;
  timing.slab_rows = std::min(engine.volume_slab_rows(box.region), n);  // the CPU engine: no limit
  for (unsigned r = 0; r < settings.repeats; ++r) {
    HostVolumeSink sink(host.volume, layer);
    const auto start = Clock::now();
    bool complete = false;
    const auto reconstruct = [&] { complete = engine.reconstruct_volume(box, timing.slab_rows, sink); };
    const double device_ms = host.device_ms ? host.device_ms(reconstruct) : (reconstruct(), 0.0);
    timing.wall_s.push_back(seconds_since(start));
    if (host.device_ms) timing.device_s.push_back(device_ms / 1e3);
    if (!complete || sink.layers() != n) throw std::runtime_error("reconstruct_volume did not deliver every layer");
    timing.slabs = sink.slabs();
    log << "T6 run " << r + 1 << ": " << text(timing.wall_s.back(), 3) << " s wall clock"
        << (host.device_ms ? ", " + text(timing.device_s.back(), 3) + " s by CUDA events" : std::string()) << "\n";
  }
  return timing;
}

std::vector<Figure> measure_volume(kernels::Engine& engine, const VolumeHost& host, const VolumeSettings& settings,
                                   std::ostream& log) {
  const std::uint32_t n = settings.size;
  const std::size_t layer = std::size_t{n} * n;
  const VolumeTiming timing = time_volume(engine, host, settings, log);
  const std::vector<double>& wall_s = timing.wall_s;
  const std::vector<double>& device_s = timing.device_s;
  const std::uint32_t slabs = timing.slabs, slab_rows = timing.slab_rows;

  const bool t6_shape = n == 2048 && settings.projections == 3000;
  const double updates = static_cast<double>(n) * n * n * settings.projections;
  const double floor_s = kDirectCeilingS * updates / kT6Updates;
  const std::string volume_text = std::to_string(n) + "^3 float32 (" + text(gb(4.0 * n * n * n), 3) + " GB) from " +
                                  std::to_string(settings.projections) + " projections";
  const std::string how = " in " + std::to_string(slabs) + " slabs of " + std::to_string(slab_rows) + " rows into " +
                          host.memory + " host memory";
  std::vector<Figure> figures;
  figures.push_back({"T6", median(wall_s), "s", t6_shape ? "<= 3" : "", floor_s,
                     "end of scan -> " + volume_text + " in host memory" + how + "; wall clock, median of " +
                         std::to_string(wall_s.size()) + " (first " + text(wall_s.front(), 3) +
                         " s); floor = targets.md's direct-backprojection issue ceiling (2.6 s at 2048^3 x 3000), "
                         "scaled"});
  if (!device_s.empty()) {
    figures.push_back({"T6-cuda-events", median(device_s), "s", "", floor_s,
                       "the same calls timed by CUDA events recorded before and after each, median of " +
                           std::to_string(device_s.size())});
  }
  figures.push_back({"T6-rate", updates / median(wall_s) / 1e12, "T updates/s", "", updates / floor_s / 1e12,
                     "voxel updates (voxels x projections) per second of the median T6"});

  // The file write, beside the disk's floor, for the first write_layers layers (the disk may hold less than the
  // volume).
  const std::uint32_t layers = settings.write_layers == 0 ? n : std::min(settings.write_layers, n);
  const FileWrite file = write_hdf5(settings.directory, host.volume, n, layers);
  const auto bytes = std::as_bytes(host.volume.first(layers * layer));
  const double floor_rate = dd_floor(settings.directory, bytes, file.bytes);
  const double file_rate = static_cast<double>(file.bytes) / file.seconds;
  log << "T6 file: HDF5 " << gb(static_cast<double>(file.bytes)) << " GB in " << file.seconds << " s; dd floor "
      << gb(floor_rate) << " GB/s\n";
  const std::string where = " in " + settings.directory.string() + " (" + std::to_string(layers) + " of " +
                            std::to_string(n) + " layers, " + text(gb(static_cast<double>(file.bytes)), 3) + " GB)";
  figures.push_back({"T6-write-hdf5", gb(file_rate), "GB/s", "", gb(floor_rate),
                     "the volume written as the daemon writes it (HDF5 float32, chunked by layer, temporary name, "
                     "fdatasync, rename)" + where + "; floor = the dd line"});
  figures.push_back({"T6-disk-dd", gb(floor_rate), "GB/s", "", std::nullopt,
                     "dd-style: the same bytes written with write() in 64 MiB pieces, then fdatasync," + where});
  return figures;
}

}  // namespace tomolive::bench
