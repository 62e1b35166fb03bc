#include "tomolive/daemon/engine_factory.hpp"

#include <algorithm>
#include <stdexcept>
#include <thread>

#include "tomolive/kernels/cpu_engine.hpp"
#if TOMOLIVE_WITH_CUDA
#include "tomolive/kernels/cuda_engine.hpp"
#endif

namespace tomolive::daemon {
namespace {

class PlainBuffer final : public HostBuffer {
 public:
  explicit PlainBuffer(std::size_t bytes) : storage_(std::make_unique<std::byte[]>(bytes)), size_(bytes) {}
  std::byte* data() override { return storage_.get(); }
  std::size_t size() const override { return size_; }

 private:
  std::unique_ptr<std::byte[]> storage_;  // new[] memory is aligned for every fundamental type
  std::size_t size_;
};

// Device indices as "0, 1, 2".
std::string device_list(const std::vector<int>& devices) {
  std::string text;
  for (const int device : devices) text += (text.empty() ? "" : ", ") + std::to_string(device);
  return text;
}

// One engine as it is, several under a SlabEngine (their rows split into slabs).
std::unique_ptr<kernels::Engine> over_slabs(std::vector<std::unique_ptr<kernels::Engine>> engines,
                                            const EngineOptions& options) {
  if (engines.size() == 1) return std::move(engines.front());
  return kernels::make_slab_engine(std::move(engines), kernels::SlabEngineOptions{options.halo_rows});
}

// One CPU engine, or options.cpu_slabs of them over row slabs, sharing the memory limit and the threads.
EngineSelection make_cpu(const EngineOptions& options, const std::string& why) {
  const unsigned slabs = std::max(1u, options.cpu_slabs);
  kernels::CpuEngineOptions cpu;
  cpu.memory_limit_bytes = options.cpu_memory_limit_bytes / slabs;
  const unsigned threads = options.cpu_threads != 0 ? options.cpu_threads : std::thread::hardware_concurrency();
  cpu.threads = slabs == 1 ? options.cpu_threads : std::max(1u, threads / slabs);
  std::vector<std::unique_ptr<kernels::Engine>> engines;
  for (unsigned k = 0; k < slabs; ++k) engines.push_back(kernels::make_cpu_engine(cpu));
  std::string reason = "cpu engine: " + why;
  if (slabs > 1) {
    reason += "; " + std::to_string(slabs) + " CPU engines over row slabs (--cpu-slabs, halo " +
              std::to_string(options.halo_rows) + " rows)";
  }
  return {over_slabs(std::move(engines), options), std::move(reason), nullptr};
}

#if TOMOLIVE_WITH_CUDA
// The CUDA devices to use: those of options.cuda_devices, each checked (throws std::runtime_error naming a device
// that does not exist or cannot be used), or every usable device; `unusable` says why the others are not (empty
// when every device is used).
std::vector<int> cuda_devices(const EngineOptions& options, std::string& unusable) {
  const int count = kernels::cuda_device_count();
  std::vector<int> devices;
  if (!options.cuda_devices.empty()) {
    for (const int device : options.cuda_devices) {
      if (device >= count) {
        throw std::runtime_error("--gpus " + device_list(options.cuda_devices) + ": CUDA device " +
                                 std::to_string(device) + " does not exist (" +
                                 (count == 0 ? kernels::cuda_unavailable_reason(0).value_or("no CUDA device")
                                             : std::to_string(count) + " device(s): 0.." + std::to_string(count - 1)) +
                                 ")");
      }
      if (const auto reason = kernels::cuda_unavailable_reason(device)) {
        throw std::runtime_error("--gpus " + device_list(options.cuda_devices) + ": CUDA device " +
                                 std::to_string(device) + " cannot be used: " + *reason);
      }
    }
    return options.cuda_devices;
  }
  std::string reasons;
  for (int device = 0; device < count; ++device) {
    if (const auto reason = kernels::cuda_unavailable_reason(device)) {
      reasons += (reasons.empty() ? "" : "; ") + *reason;
    } else {
      devices.push_back(device);
    }
  }
  if (count == 0) reasons = kernels::cuda_unavailable_reason(0).value_or("no CUDA device");
  unusable = reasons;
  return devices;
}

class PageLockedBuffer final : public HostBuffer {
 public:
  explicit PageLockedBuffer(std::size_t bytes) : buffer_(bytes) {}
  std::byte* data() override { return static_cast<std::byte*>(buffer_.data()); }
  std::size_t size() const override { return buffer_.size(); }

 private:
  kernels::PinnedHostBuffer buffer_;
};

// CUDA engines on `devices` (one, or several over row slabs), reading frames from page-locked memory: cudaHostAlloc
// memory is portable to every device under unified addressing, so one buffer serves every slab's upload.
// `not_used`: why the other devices are left out ("" when none is).
EngineSelection make_cuda(const std::vector<int>& devices, const EngineOptions& options, const std::string& not_used) {
  std::vector<std::unique_ptr<kernels::Engine>> engines;
  for (const int device : devices) {
    kernels::CudaEngineOptions cuda;
    cuda.device = device;
    engines.push_back(kernels::make_cuda_engine(cuda));
  }
  std::string reason = devices.size() == 1
                           ? "cuda engine: a usable CUDA device was found (device " + device_list(devices) + ")"
                           : "cuda engines on devices " + device_list(devices) + ": the detector's rows split into " +
                                 std::to_string(devices.size()) + " slabs, one per device (halo " +
                                 std::to_string(options.halo_rows) + " rows)";
  if (!not_used.empty()) reason += "; not used: " + not_used;
  return {over_slabs(std::move(engines), options), std::move(reason),
          [](std::size_t bytes) -> std::unique_ptr<HostBuffer> { return std::make_unique<PageLockedBuffer>(bytes); }};
}
#endif

}  // namespace

EngineSelection select_engine(const EngineOptions& options) {
  if (options.choice == EngineChoice::cpu) return make_cpu(options, "chosen with --engine cpu");
#if TOMOLIVE_WITH_CUDA
  std::string unusable;
  const std::vector<int> devices = cuda_devices(options, unusable);
  if (!devices.empty()) return make_cuda(devices, options, unusable);
#else
  const std::string unusable = "this build has no CUDA engine (configured without a CUDA compiler)";
  if (!options.cuda_devices.empty()) {
    throw std::runtime_error("--gpus " + device_list(options.cuda_devices) + " names CUDA devices, but " + unusable);
  }
#endif
  if (options.choice == EngineChoice::cuda) {
    throw std::runtime_error("--engine cuda was asked for, but " + unusable);
  }
  return make_cpu(options, "no usable CUDA device (" + unusable + ")");
}

std::unique_ptr<HostBuffer> allocate_plain_buffer(std::size_t bytes) { return std::make_unique<PlainBuffer>(bytes); }

}  // namespace tomolive::daemon
