// SocketSecurity: how the daemon's bound ZeroMQ sockets are protected (PROTOCOL.md 2, "Security").
//
// By default every socket binds to loopback, where only programs on the same machine can reach it. A socket bound
// beyond loopback must be authenticated with CURVE (ZeroMQ's elliptic-curve encryption and authentication: the
// daemon holds a secret key, clients present public keys that a key list allows, checked by the ZapHandler), or the
// operator must say --insecure-network, which the log and the status repeat.
//
// Keys are Z85 text (40 characters for 32 bytes), as zmq_curve_keypair makes them and as `tomolive-ctl keygen`
// prints them. Plain values; thread-compatible.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <zmq.hpp>

namespace tomolive::daemon {

// A CURVE public key, 32 bytes.
using CurvePublicKey = std::array<unsigned char, 32>;

struct CurveServerKeys {
  std::string secret_z85;                // the daemon's secret key
  std::string public_z85;                // derived from it; what clients set as their server key
  std::vector<CurvePublicKey> clients;   // the public keys allowed to connect
};

// Reads the daemon's secret key (the file's first key line: 40 Z85 characters, or a ZeroMQ certificate as
// load_curve_key_pair reads it) and the allowed clients' public keys from `clients`: a file of bare keys (one per
// line), one client's ZeroMQ certificate (its public-key), or a folder of certificates (every *.key file in it, as
// pyzmq's zmq.auth.load_certificates and czmq's certificate store read one). In bare files a line whose first
// non-blank character is '#' is a comment, blank lines are ignored, and text after a key and a blank is ignored (Z85
// keys may hold '#'). Throws std::runtime_error naming the file, the line and what is wrong (unreadable, not 40 Z85
// characters, no client key at all).
CurveServerKeys load_curve_server_keys(const std::string& secret_key_file, const std::string& clients);

// Whether binding `endpoint` lets other machines reach it: tcp:// on any address but 127.x.y.z, localhost and [::1]
// (the wildcard "*" included); ipc:// and inproc:// never do.
bool binds_beyond_loopback(std::string_view endpoint);

struct SocketSecurity {
  std::optional<CurveServerKeys> curve;  // CURVE on every bound socket; none: plain (loopback or insecure network)
  bool insecure_network = false;         // the operator allowed plain sockets beyond loopback

  // Makes `socket` (not yet bound) a CURVE server with the daemon's key when curve is set; else leaves it plain.
  void apply(zmq::socket_t& socket) const;
};

// The keys of a socket that connects to a CURVE server (a detector that binds its PUSH with CURVE): its own key
// pair and the server's public key, Z85.
struct CurveClientKeys {
  std::string secret_z85;
  std::string public_z85;         // derived from secret_z85
  std::string server_public_z85;  // the server's (the detector's) public key

  // Makes `socket` (not yet connected) a CURVE client of that server.
  void apply(zmq::socket_t& socket) const;
};

// Reads a CURVE secret key file and derives its public key: {secret, public}. The file is either bare (its first key
// line, as load_curve_server_keys reads the daemon's) or a ZeroMQ certificate (ZPL as pyzmq's
// zmq.auth.create_certificates and czmq's zcert_save write it: the curve section's secret-key; its public-key, when
// present, must be the secret key's). Throws std::runtime_error naming the file and what is wrong, a public
// certificate (no secret-key) included.
std::pair<std::string, std::string> load_curve_key_pair(const std::string& secret_key_file);
// Reads one CURVE public key (Z85): a bare file's first key line, or a certificate's curve public-key (the public
// `.key` or the secret `.key_secret` one); throws std::runtime_error naming the file.
std::string load_curve_public_key(const std::string& public_key_file);

// Why a daemon whose sockets bind to `bound_endpoints` must not start with `security`: an endpoint beyond loopback
// without CURVE or --insecure-network (the message names it and both remedies); nullopt when it may.
std::optional<std::string> check_network_exposure(const std::vector<std::string>& bound_endpoints,
                                                  const SocketSecurity& security);

}  // namespace tomolive::daemon
