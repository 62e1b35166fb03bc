// DaemonConfig: everything tomolived can be told on its command line or in its configuration file, with the
// defaults a beamline expects; load_config() fills it from both.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "tomolive/daemon/config_file.hpp"
#include "tomolive/daemon/engine_factory.hpp"
#include "tomolive/daemon/engine_inbox.hpp"
#include "tomolive/daemon/rdma_receiver.hpp"
#include "tomolive/rdma/gpudirect.hpp"
#include "tomolive/daemon/recorder.hpp"
#include "tomolive/daemon/viewer_location.hpp"
#include "tomolive/daemon/volume_job.hpp"
#include "tomolive/detector/stream_format.hpp"
#include "tomolive/kernels/processing.hpp"
#include "tomolive/protocol/messages.hpp"

namespace tomolive::daemon {

struct DaemonConfig {
  // PULL sockets, one ingest thread each: bound, or connected to detectors' PUSH sockets (data_connect). Several
  // endpoints carry one scan as several streams (PROTOCOL.md, "Several streams").
  // Every socket binds to loopback unless told otherwise; beyond loopback it needs CURVE keys or insecure_network.
  std::vector<std::string> data_endpoints{"tcp://127.0.0.1:5555"};
  bool data_connect = false;
  int data_receive_hwm = 1000;                 // messages ZeroMQ buffers before the sender blocks
  // RDMA receivers (PROTOCOL.md, "RDMA"): one listener per ADDRESS:PORT, each sender its own queue pair; frames go
  // to the same engine queue. rdma_limits: what a sender may ask for at connect.
  std::vector<std::string> rdma_endpoints;
  RdmaLimits rdma_limits;
  // The transport the RDMA receivers use; null: libibverbs and librdmacm. Not on the command line: the seam through
  // which tests run the receivers over rdma::FakeTransport.
  std::shared_ptr<rdma::Transport> rdma_transport;
  // How GPUDirect RDMA support is looked for at start (default: this host). Not on the command line: the seam
  // through which tests fake a loaded nvidia-peermem or a dma-buf capable driver.
  rdma::GpuDirectProbe gpudirect_probe;
  // Detector streams (PROTOCOL.md "Detector streams"): the format every data message is taken as (none: detected
  // per message), the workers that decode images (0: default_decode_threads()), the standing scan plan for series
  // that bring none (--scan-plan; set_scan_plan posts one for the next series) and how many images of a series
  // without a plan are held before it is refused.
  std::optional<detector::StreamFormat> data_format;
  std::string dectris_channel;  // the Stream V2 channel taken (detector::DecodeOptions); empty: the first
  std::size_t decode_threads = 0;
  std::optional<protocol::SetScanPlan> scan_plan;
  std::size_t max_held_images = 256;
  // CURVE on the data sockets alone: the daemon's key pair for them (bound sockets are CURVE servers allowing the
  // keys of curve_clients_file; connected ones CURVE clients), and the detector's public key for connecting to a
  // detector that runs CURVE as server.
  std::string data_curve_secret_key_file;
  std::string data_curve_server_key_file;
  std::string slices_endpoint = "tcp://127.0.0.1:5556";   // PUB: slices
  std::string events_endpoint = "tcp://127.0.0.1:5558";   // PUB: events (errors, scan begun/ended)
  std::string control_endpoint = "tcp://127.0.0.1:5557";  // REP: control commands
  // I/O threads of the daemon's one ZeroMQ context (data sockets, control, publishers), 1..64; 0: as many as data
  // sockets (zmq_io_threads_for). ZeroMQ's guide: about one I/O thread per GB/s in or out.
  int zmq_io_threads = 0;
  // CURVE on every bound ZeroMQ socket (socket_security.hpp): the daemon's secret key file and the allowed
  // clients' public keys file, both or neither. insecure_network: plain sockets beyond loopback, said in the log
  // and the status.
  std::string curve_secret_key_file;
  std::string curve_clients_file;
  bool insecure_network = false;
  // HTTP port for the viewer and browsers' WebSocket (PROTOCOL.md 14). Port 0: any free port.
  bool http_enabled = true;
  std::string http_address = "127.0.0.1";
  std::uint16_t http_port = 8080;
  // When set, needed for control: from browsers (?token=, and beyond loopback) and in ZeroMQ control requests
  // ("token" key) that change anything (PROTOCOL.md 10.1).
  std::string http_token;
  std::string viewer_dir = default_viewer_dir().string();  // beside the installed binary, else the source tree's
  int http_threads = 2;
  int http_max_connections = 256;  // HTTP and WebSocket connections open at once; beyond, 503
  EngineOptions engine;
  // Makes the engine (at start and after the engine is lost); empty: select_engine(engine). Not on the command line:
  // the seam through which tests run the daemon on any kernels::Engine.
  EngineFactory engine_factory;
  // How long a control command waits for the engine before its caller is answered (cancelled if it has not started,
  // "still running" if it has; PROTOCOL.md 10.2). Not on the command line.
  std::chrono::milliseconds command_timeout{10000};
  // Copy each received frame into a buffer of the engine's preferred memory on the ingest thread (page-locked for
  // CUDA, so the engine thread only starts the transfer). automatic: when the engine has a preference.
  enum class IngestCopy { automatic, on, off } ingest_copy = IngestCopy::automatic;
  std::size_t queue_capacity = 256;  // frames between ingest and engine
  QueuePolicy queue_policy = QueuePolicy::block;
  // Recording of the raw stream (Recorder, PROTOCOL.md 18). Empty record_dir: nothing is recorded.
  std::string record_dir;
  // all: every scan; on_command: only a scan that a record command asked for.
  enum class RecordScans { all, on_command } record_scans = RecordScans::all;
  RecordPolicy record_policy = RecordPolicy::stop;
  std::size_t record_queue_frames = 256;
  std::size_t record_queue_mb = 1024;
  double record_flush_s = 1.0;
  // Makes each recording's writer; empty: storage::NxtomoWriter. Not on the command line: the seam through which
  // tests inject disk faults.
  Recorder::WriterFactory recording_writer_factory;
  // Triggered capture (CaptureRing, PROTOCOL.md 18.1): 0 s: no ring. capture_dir empty: record_dir, else the
  // working directory.
  double capture_ring_s = 0.0;
  std::size_t capture_ring_mb = 1024;
  std::string capture_dir;
  std::optional<protocol::CenterMethod> auto_center;  // apply a center estimate once per scan (PROTOCOL.md 10.4)
  kernels::ProcessingParams processing;  // until set_processing: Ram-Lak, every step off unless told (PROTOCOL.md 10.5)
  // Full volumes (PROTOCOL.md 10.6): --volume-at-end, --volume-dir, --volume-format, --volume-dtype,
  // --volume-compression, --volume-overwrite, --volume-host-memory-mib. The allocator and faults are not on the
  // command line (the engine's page-locked memory; tests' fault injection).
  VolumeOptions volume;
  double publish_hz = 30.0;          // most slice updates per second per slice (a 33 ms wait at most: T5)
  // The live 3D preview (PROTOCOL.md 10.12) until the first set_preview: --preview (nullopt: "auto", the engine's
  // default: on for cuda, off for cpu), --preview-side (0: the engine's default, 256 for cuda, 64 for cpu) and
  // --preview-interval-ms (the least time between two snapshots sent to browsers).
  std::optional<bool> preview_enabled;
  std::uint32_t preview_side = 0;
  std::chrono::milliseconds preview_interval{1000};
  double status_interval_s = 1.0;    // one status log line every this many seconds; 0 = none
  std::string log_level = "info";
  // The log's destination and form (log_setup.hpp): stderr or a rotating file, text or JSON lines.
  std::string log_file;             // --log-file; "" for stderr
  double log_max_size_mib = 100.0;  // --log-max-size-mib
  std::size_t log_max_files = 5;    // --log-max-files
  bool log_json = false;            // --log-json
  bool log_syslog_prefix = false;   // --log-syslog-prefix
};

// ADDRESS:PORT, the address in brackets for IPv6 ([::1]:8080); nullopt when the text is not that.
std::optional<std::pair<std::string, std::uint16_t>> parse_address_port(const std::string& text);

// Most I/O threads that zmq_io_threads = 0 ("auto") gives.
inline constexpr int kMaxAutoZmqIoThreads = 16;

// The I/O threads of the daemon's ZeroMQ context: config.zmq_io_threads when set (> 0), else one per ZeroMQ data
// socket (data_endpoints), at least 1 and at most kMaxAutoZmqIoThreads.
int zmq_io_threads_for(const DaemonConfig& config);

// The configuration file read when the command line names none (and gives no --no-config), if it exists.
inline constexpr const char* kDefaultConfigFile = "/etc/tomolive/tomolive.toml";

// Where an option's effective value came from.
struct SettingSource {
  enum class Kind { default_value, file, command_line } kind = Kind::default_value;
  std::uint32_t line = 0;  // in the configuration file (kind file), 1-based

  bool operator==(const SettingSource&) const = default;
};

// One option's effective value: its key (the long name without dashes, also the configuration file's key), its
// kind and value as argument texts (config_file.hpp), and where it came from.
struct Setting {
  std::string key;
  OptionKind kind = OptionKind::text;
  std::vector<std::string> values;
  SettingSource source;
};

// The outcome of reading the command line and the configuration file.
struct LoadedConfig {
  DaemonConfig config;
  std::vector<Setting> settings;  // every option, in --help order
  std::string file;               // the configuration file read; "" when none
  bool print_config = false;      // --print-config: print format_effective_config() and exit 0
};

// Why load_config() gave no configuration, and the exit code tomolived returns for it.
struct ConfigRefusal {
  int exit_code = 2;    // 0 after --help or --version (printed to stdout), 2 after an error
  std::string message;  // a refused file ("FILE:LINE:COLUMN: key 'x': reason") or options that do not go together;
                        // "" when the command line's parser has printed the message itself
};

// Reads the command line (`arguments`, without the program name) and the configuration file: --config FILE, else
// `default_file` when it exists, unless --no-config. Options given on the command line override the file; the file
// overrides the defaults. Every value of the file is checked as the command line's are, also those that the command
// line overrides.
std::variant<LoadedConfig, ConfigRefusal> load_config(const std::vector<std::string>& arguments,
                                                      const std::string& default_file = kDefaultConfigFile);

// --print-config's output: every setting as a TOML line with its source as a comment ("# default",
// "# FILE:LINE", "# command line"); a valid configuration file that loads back to the same settings.
std::string format_effective_config(const LoadedConfig& loaded);

// load_config() of argv[1..]. Returns the config, or the exit code to return right away (see load_config; 0 after
// --print-config, which has printed the configuration to stdout).
std::variant<DaemonConfig, int> parse_command_line(int argc, char** argv);

}  // namespace tomolive::daemon
