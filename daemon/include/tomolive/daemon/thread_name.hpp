// Names for the daemon's own long-lived threads, so that top -H, ps -L, perf and gdb tell them apart (ZeroMQ names
// its I/O threads ZMQbg/IO/<k> already). Each thread names itself first thing in its body:
//   data-recv/<k>  ZmqIngest of data socket k         decode/<k>     FrameDecodePool worker k
//   rdma-cm        RdmaIngest's connection manager    rdma-recv/<k>  the k-th RDMA sender's connection
//   engine         EngineWorker                       http/<k>       HttpServer I/O thread k
//   control        ZmqControlServer                   publisher      ZmqPublisher
//   zap            ZapHandler (CURVE)                 recorder       Recorder
//   capture        CaptureRing                        volume-write   VolumeJob's writer
//   watchdog       ServiceNotifier's systemd watchdog
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tomolive::daemon {

// Longest thread name Linux keeps (the 16-byte comm, its terminating zero left out).
inline constexpr std::size_t kMaxThreadNameLength = 15;

// "<base>/<index>", e.g. "decode/3".
std::string indexed_thread_name(std::string_view base, std::size_t index);

// Names the calling thread `name` (/proc/self/task/<tid>/comm); a longer name is cut to its first
// kMaxThreadNameLength bytes. Failure (not Linux) leaves the name as it was: names are for people, nothing reads them.
void name_this_thread(std::string_view name);

}  // namespace tomolive::daemon
