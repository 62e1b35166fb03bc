// tomolive-decode-bench: decompression of DECTRIS bslz4 frames against ../shared/targets.md T1c (>= 8 GB/s of
// decompressed pixels on the GPU machine's 16 cores; bslz4 decode per core is the unit). W2-shaped frames
// (1008 x 2016 uint16 projections of the simulated phantom, with noise) are encoded once, then decoded with
// decode_pixels on N threads (1, 2, 4, ..., all cores) for a fixed time each, beside a plain memcpy of the same
// decompressed bytes on as many threads (the floor). Also the single-thread rate of each bitshuffle variant.
// Prints a table and writes the figures as JSON (--json), in tomolive-bench's format.
//
//   tomolive-decode-bench --json bench/results/decode.json          (the GPU machine: 16 cores)
//   tomolive-decode-bench --frames 4 --seconds 0.2 --threads 1,2     (smoke run)
#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <latch>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "compressed_blocks.hpp"
#include "report.hpp"
#include "tomolive/detector/pixel_decoder.hpp"
#include "tomolive/detector/pixel_encoder.hpp"
#include "tomolive/sim/scan_simulator.hpp"

namespace {

using namespace tomolive;
using Clock = std::chrono::steady_clock;

struct Frames {
  std::vector<std::vector<std::uint16_t>> pixels;   // decompressed
  std::vector<std::vector<std::byte>> encoded;      // bslz4, HDF5 framing
  std::uint32_t rows = 0, cols = 0;
  std::size_t frame_bytes() const { return std::size_t{rows} * cols * sizeof(std::uint16_t); }
};

Frames make_frames(std::uint32_t rows, std::uint32_t cols, std::size_t count) {
  sim::ScanSpec spec;
  spec.rows = rows;
  spec.cols = cols;
  spec.num_darks = 0;
  spec.num_flats = 0;
  spec.projections_per_turn = static_cast<std::uint32_t>(count);
  const sim::ScanSimulator scan(spec, 0);
  Frames frames{{}, {}, rows, cols};
  for (std::size_t i = 0; i < count; ++i) {
    frames.pixels.push_back(scan.render(i));
    frames.encoded.push_back(detector::encode_bslz4(std::as_bytes(std::span(frames.pixels.back())), 2));
  }
  return frames;
}

detector::EncodedImage image_of(const Frames& frames, std::size_t i) {
  return {frames.rows, frames.cols, protocol::Dtype::uint16, detector::Compression::bslz4, frames.encoded[i]};
}

// Runs work(thread, output, frame index) on `threads` threads for `seconds`, each thread cycling through the frames
// from its own starting frame; returns decompressed GB/s over all threads.
double measure(const Frames& frames, unsigned threads, double seconds,
               const std::function<void(std::span<std::byte>, std::size_t)>& work) {
  std::atomic<bool> stop{false};
  std::vector<std::size_t> done(threads, 0);
  std::latch ready(threads + 1);
  Clock::time_point start, end;
  {
    std::vector<std::jthread> pool;
    for (unsigned t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        std::vector<std::byte> out(frames.frame_bytes());
        std::size_t frame = t % frames.pixels.size();
        ready.arrive_and_wait();
        while (!stop.load(std::memory_order_relaxed)) {
          work(out, frame);
          ++done[t];
          frame = (frame + 1) % frames.pixels.size();
        }
      });
    }
    ready.arrive_and_wait();
    start = Clock::now();
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));  // the measurement window
    stop = true;
  }  // joins: the frames in flight when stop was set are counted and timed
  end = Clock::now();
  std::size_t total = 0;
  for (auto n : done) total += n;
  return static_cast<double>(total * frames.frame_bytes()) / std::chrono::duration<double>(end - start).count() /
         1e9;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

std::string cpu_name() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.starts_with("model name")) return line.substr(line.find(':') + 2);
  }
  return "unknown CPU";
}

std::vector<unsigned> default_thread_counts() {
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  std::vector<unsigned> counts;
  for (unsigned n = 1; n < cores; n *= 2) counts.push_back(n);
  counts.push_back(cores);
  return counts;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tomolive-decode-bench: bslz4 decode GB/s against T1c (shared/targets.md), beside memcpy"};
  std::uint32_t rows = 1008, cols = 2016;  // W2 (gigafrost)
  std::size_t frame_count = 32;
  double seconds = 2.0;
  int repeats = 3;
  std::vector<unsigned> thread_counts = default_thread_counts();
  std::string json_path;
  app.add_option("--rows", rows, "frame rows (W2: 1008)");
  app.add_option("--cols", cols, "frame cols (W2: 2016)");
  app.add_option("--frames", frame_count, "distinct frames cycled through (more than the caches hold)");
  app.add_option("--seconds", seconds, "measurement window per thread count and repeat");
  app.add_option("--repeats", repeats, "repeats per figure (medians)")->check(CLI::PositiveNumber);
  app.add_option("--threads", thread_counts, "thread counts (default 1, 2, 4, ..., all cores)")->delimiter(',');
  app.add_option("--json", json_path, "write the figures as JSON to this file");
  CLI11_PARSE(app, argc, argv);

  try {
    std::cout << "tomolive-decode-bench: rendering and encoding " << frame_count << " frames of " << rows << " x "
              << cols << " uint16\n";
    const Frames frames = make_frames(rows, cols, frame_count);
    std::size_t encoded_bytes = 0;
    for (std::size_t i = 0; i < frame_count; ++i) {
      std::vector<std::byte> out(frames.frame_bytes());
      if (auto error = detector::decode_pixels(image_of(frames, i), out)) throw std::runtime_error(error->message);
      if (std::memcmp(out.data(), frames.pixels[i].data(), out.size()) != 0) {
        throw std::runtime_error("frame " + std::to_string(i) + " does not decode to its pixels");
      }
      encoded_bytes += frames.encoded[i].size();
    }
    const double ratio = static_cast<double>(frame_count * frames.frame_bytes()) / static_cast<double>(encoded_bytes);

    bench::Report report;
    report.commit = TOMOLIVE_BENCH_COMMIT;
    report.date = bench::today();
    report.workload = "W2";
    report.device = cpu_name() + ", " + std::to_string(std::thread::hardware_concurrency()) + " hardware threads";
    const std::string shape = std::to_string(rows) + " x " + std::to_string(cols) + " uint16 bslz4 (ratio " +
                              std::to_string(ratio).substr(0, 4) + ")";

    auto repeat = [&](unsigned threads, const std::function<void(std::span<std::byte>, std::size_t)>& work) {
      std::vector<double> rates;
      for (int r = 0; r < repeats; ++r) rates.push_back(measure(frames, threads, seconds, work));
      return median(rates);
    };
    const auto decode = [&](std::span<std::byte> out, std::size_t i) {
      if (auto error = detector::decode_pixels(image_of(frames, i), out)) throw std::runtime_error(error->message);
    };
    const auto copy = [&](std::span<std::byte> out, std::size_t i) {
      std::memcpy(out.data(), frames.pixels[i].data(), out.size());
    };

    for (auto isa : {detector::bitshuffle::Isa::scalar, detector::bitshuffle::Isa::sse2,
                     detector::bitshuffle::Isa::avx2}) {
      if (!detector::bitshuffle::supported(isa)) continue;
      const char* name = isa == detector::bitshuffle::Isa::scalar ? "scalar"
                         : isa == detector::bitshuffle::Isa::sse2 ? "sse2"
                                                                 : "avx2";
      const double rate = repeat(1, [&](std::span<std::byte> out, std::size_t i) {
        thread_local detector::BlockScratch scratch;
        if (auto error = detector::decode_bslz4(frames.encoded[i], out, 2, isa, scratch)) {
          throw std::runtime_error(error->message);
        }
      });
      report.figures.push_back({std::string("decode_1t_") + name, rate, "GB/s", "", std::nullopt,
                                std::string("one thread, bitshuffle variant ") + name + ", " + shape});
      std::cout << "  1 thread, " << name << ": " << rate << " GB/s\n";
    }
    double last_decode = 0.0, last_copy = 0.0;
    unsigned last_threads = 1;
    for (unsigned threads : thread_counts) {
      last_decode = repeat(threads, decode);
      last_copy = repeat(threads, copy);
      last_threads = threads;
      const std::string n = std::to_string(threads);
      report.figures.push_back({"decode_" + n + "t", last_decode, "GB/s", "", last_copy,
                                n + " threads, decode_pixels (best variant), " + shape + "; floor: memcpy"});
      report.figures.push_back({"decode_per_core_" + n + "t", last_decode / threads, "GB/s", ">= 0.5", std::nullopt,
                                "decode GB/s per thread at " + n + " threads"});
      std::cout << "  " << threads << " threads: decode " << last_decode << " GB/s (" << last_decode / threads
                << " per thread), memcpy " << last_copy << " GB/s\n";
    }
    report.figures.push_back({"T1c", last_decode, "GB/s", ">= 8", last_copy,
                              "bslz4 decode of W2 frames on " + std::to_string(last_threads) +
                                  " threads (decompression only, no sockets); floor: memcpy of the same bytes"});
    std::cout << "\n";
    bench::print_table(std::cout, report);
    if (!json_path.empty()) {
      bench::write_json(json_path, report);
      std::cout << "figures written to " << json_path << "\n";
    }
  } catch (const std::exception& e) {
    std::cerr << "tomolive-decode-bench: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
