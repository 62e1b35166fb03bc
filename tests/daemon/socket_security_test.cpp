// The ZeroMQ side of PROTOCOL.md 2, "Security": loopback by default, CURVE keys or --insecure-network beyond it, the
// ZAP handler admitting only listed client keys, and the control token on the ZeroMQ control socket.
#include "tomolive/daemon/socket_security.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <unistd.h>

#include <gtest/gtest.h>
#include <msgpack.hpp>
#include <zmq.hpp>

#include "daemon_harness.hpp"
#include "tomolive/daemon/daemon.hpp"
#include "tomolive/daemon/zap_handler.hpp"
#include "tomolive/protocol/codec.hpp"

namespace tomolive::testing {
namespace {

struct KeyPair {
  std::string public_z85, secret_z85;
};

KeyPair make_keys() {
  char public_key[41] = {}, secret_key[41] = {};
  if (zmq_curve_keypair(public_key, secret_key) != 0) throw std::runtime_error("zmq_curve_keypair failed");
  return {public_key, secret_key};
}

// A file in a fresh temporary folder, removed with the object.
class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    path_ = std::filesystem::temp_directory_path() /
            ("tomolive-key-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    std::ofstream(path_) << text;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  std::string path() const { return path_.string(); }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

TEST(SocketSecurity, OnlyTcpBeyondLoopbackReachesTheNetwork) {
  EXPECT_TRUE(daemon::binds_beyond_loopback("tcp://*:5555"));
  EXPECT_TRUE(daemon::binds_beyond_loopback("tcp://0.0.0.0:5555"));
  EXPECT_TRUE(daemon::binds_beyond_loopback("tcp://192.168.1.5:5555"));
  EXPECT_TRUE(daemon::binds_beyond_loopback("tcp://[::]:5555"));
  EXPECT_TRUE(daemon::binds_beyond_loopback("tcp://eth0:5555"));
  EXPECT_FALSE(daemon::binds_beyond_loopback("tcp://127.0.0.1:5555"));
  EXPECT_FALSE(daemon::binds_beyond_loopback("tcp://127.0.0.1:*"));
  EXPECT_FALSE(daemon::binds_beyond_loopback("tcp://127.1.2.3:5555"));
  EXPECT_FALSE(daemon::binds_beyond_loopback("tcp://localhost:5555"));
  EXPECT_FALSE(daemon::binds_beyond_loopback("tcp://[::1]:5555"));
  EXPECT_FALSE(daemon::binds_beyond_loopback("ipc:///tmp/tomolive-data"));
  EXPECT_FALSE(daemon::binds_beyond_loopback("inproc://data"));
}

TEST(SocketSecurity, ExposureNeedsCurveOrAnExplicitInsecureNetwork) {
  const std::vector<std::string> endpoints{"tcp://127.0.0.1:5556", "tcp://*:5557"};
  const auto refused = daemon::check_network_exposure(endpoints, {});
  ASSERT_TRUE(refused);
  EXPECT_NE(refused->find("tcp://*:5557"), std::string::npos) << *refused;
  EXPECT_NE(refused->find("--curve-secret-key"), std::string::npos) << *refused;
  EXPECT_NE(refused->find("--insecure-network"), std::string::npos) << *refused;
  EXPECT_FALSE(daemon::check_network_exposure({"tcp://127.0.0.1:5556"}, {}));
  daemon::SocketSecurity insecure;
  insecure.insecure_network = true;
  EXPECT_FALSE(daemon::check_network_exposure(endpoints, insecure));
  daemon::SocketSecurity curve;
  curve.curve = daemon::CurveServerKeys{};
  EXPECT_FALSE(daemon::check_network_exposure(endpoints, curve));
}

TEST(SocketSecurity, KeyFilesAreReadWithCommentsAndRefusedWithFileAndLine) {
  const KeyPair server = make_keys(), client = make_keys();
  const TempFile secret("# the daemon's key\n" + server.secret_z85 + "\n");
  const TempFile clients("# beamline PCs\n\n" + client.public_z85 + "  # detector PC\n");
  const daemon::CurveServerKeys keys = daemon::load_curve_server_keys(secret.path(), clients.path());
  EXPECT_EQ(keys.secret_z85, server.secret_z85);
  EXPECT_EQ(keys.public_z85, server.public_z85) << "derived from the secret key";
  ASSERT_EQ(keys.clients.size(), 1u);

  const TempFile bad_line("# ok\n" + client.public_z85 + "\nnot-a-key\n");
  try {
    daemon::load_curve_server_keys(secret.path(), bad_line.path());
    ADD_FAILURE() << "a bad key line was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(bad_line.path() + ":3:"), std::string::npos) << e.what();
  }
  const TempFile empty("# nobody\n");
  EXPECT_THROW(daemon::load_curve_server_keys(secret.path(), empty.path()), std::runtime_error);
  EXPECT_THROW(daemon::load_curve_server_keys("/nonexistent/tomolive.key", clients.path()), std::runtime_error);
}

// A fresh temporary folder (one per object), removed with its contents with the object.
class TempDirectory {
 public:
  TempDirectory() {
    static int made = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("tomolive-certs-" + std::to_string(::getpid()) + "-" + std::to_string(made++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDirectory() { std::filesystem::remove_all(path_); }
  std::string path(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// The curve section's "name-key" value of a ZPL certificate, read with pyzmq (independent of the daemon's reader).
std::string pyzmq_certificate_key(const std::string& file, const std::string& which) {
  const std::string command = "/usr/bin/python3 -c \"import sys, zmq.auth\n"
                              "public, secret = zmq.auth.load_certificate(sys.argv[1])\n"
                              "sys.stdout.write((public if sys.argv[2] == 'public' else secret).decode())\" " +
                              file + " " + which;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("popen failed");
  std::string text(64, '\0');
  text.resize(std::fread(text.data(), 1, text.size(), pipe));
  if (::pclose(pipe) != 0) throw std::runtime_error("pyzmq could not read " + file);
  return text;
}

// Certificates as pyzmq's zmq.auth.create_certificates writes them (ZPL: metadata, then curve with public-key and,
// in the .key_secret file, secret-key), made at test time: the secret certificate gives the key pair, the public
// one (.key) the server key, and a public certificate where a secret key is needed is refused with the reason.
TEST(SocketSecurity, ZeroMqCertificatesAreReadAndAPublicOneIsNoSecretKey) {
  const TempDirectory folder;
  const std::string make = "/usr/bin/python3 -c \"import sys, zmq.auth\n"
                           "zmq.auth.create_certificates(sys.argv[1], 'daemon', metadata={'name': 'beamline'})\" " +
                           folder.path("");
  ASSERT_EQ(std::system(make.c_str()), 0);
  const std::string secret_file = folder.path("daemon.key_secret"), public_file = folder.path("daemon.key");
  const std::string public_z85 = pyzmq_certificate_key(secret_file, "public");
  const std::string secret_z85 = pyzmq_certificate_key(secret_file, "secret");
  ASSERT_EQ(public_z85.size(), 40u);
  ASSERT_EQ(secret_z85.size(), 40u);

  const auto [secret, derived] = daemon::load_curve_key_pair(secret_file);
  EXPECT_EQ(secret, secret_z85);
  EXPECT_EQ(derived, public_z85);
  EXPECT_EQ(daemon::load_curve_public_key(public_file), public_z85);
  EXPECT_EQ(daemon::load_curve_public_key(secret_file), public_z85) << "a secret certificate holds the public key";
  try {
    daemon::load_curve_key_pair(public_file);
    ADD_FAILURE() << "a public certificate was taken as a secret key";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(public_file + ": a public certificate"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(".key_secret"), std::string::npos) << e.what();
  }

  // --curve-clients may name one client's certificate or a folder of them (every *.key file, as pyzmq's
  // load_certificates reads one): two clients' certificates made by pyzmq, the secret ones beside them ignored.
  const TempDirectory clients;
  const std::string make_clients = "/usr/bin/python3 -c \"import sys, zmq.auth\n"
                                   "for name in ('detector', 'ctl'): zmq.auth.create_certificates(sys.argv[1], name)\" " +
                                   clients.path("");
  ASSERT_EQ(std::system(make_clients.c_str()), 0);
  const std::string ctl_z85 = pyzmq_certificate_key(clients.path("ctl.key_secret"), "public");
  const std::string detector_z85 = pyzmq_certificate_key(clients.path("detector.key_secret"), "public");
  const auto z85_of = [](const daemon::CurvePublicKey& key) {
    char text[41] = {};
    zmq_z85_encode(text, key.data(), key.size());
    return std::string(text);
  };
  const daemon::CurveServerKeys from_folder = daemon::load_curve_server_keys(secret_file, clients.path(""));
  ASSERT_EQ(from_folder.clients.size(), 2u) << "the .key files only, in name order";
  EXPECT_EQ(z85_of(from_folder.clients[0]), ctl_z85);
  EXPECT_EQ(z85_of(from_folder.clients[1]), detector_z85);
  const daemon::CurveServerKeys from_one = daemon::load_curve_server_keys(secret_file, clients.path("detector.key"));
  ASSERT_EQ(from_one.clients.size(), 1u);
  EXPECT_EQ(z85_of(from_one.clients[0]), detector_z85);
  const TempDirectory none;
  EXPECT_THROW(daemon::load_curve_server_keys(secret_file, none.path("")), std::runtime_error)
      << "a folder without certificates lets nobody in";

  // czmq's form (zcert_save: quoted metadata, a key pair that does not belong together) is checked too.
  const KeyPair other = make_keys();
  const TempFile mismatched("#   ZeroMQ CURVE **Secret** Certificate\n\nmetadata\n    name = \"x\"\ncurve\n"
                            "    public-key = \"" + other.public_z85 + "\"\n    secret-key = \"" + secret_z85 +
                            "\"\n");
  try {
    daemon::load_curve_key_pair(mismatched.path());
    ADD_FAILURE() << "a certificate whose public key is not its secret key's was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(mismatched.path() + ":6: the public-key is not"), std::string::npos)
        << e.what();
  }
}

TEST(SocketSecurity, ADaemonBoundBeyondLoopbackWithoutCurveDoesNotStart) {
  daemon::DaemonConfig config = test_config();
  config.http_enabled = false;
  config.control_endpoint = "tcp://*:0";
  try {
    daemon::Daemon daemon(config);
    ADD_FAILURE() << "the daemon started with an unauthenticated control socket on every interface";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("tcp://*:0"), std::string::npos) << e.what();
  }
  config.insecure_network = true;
  daemon::Daemon daemon(config);  // said explicitly: starts
  zmq::context_t context;
  ControlClient control(context, daemon.control_endpoint());
  const protocol::Status status = control.status();
  ASSERT_TRUE(status.security);
  EXPECT_TRUE(status.security->insecure_network);
  EXPECT_FALSE(status.security->curve);
}

// A REQ socket that authenticates with `client` keys against the daemon's public key.
zmq::socket_t curve_client(zmq::context_t& context, const std::string& endpoint, const KeyPair& client,
                           const std::string& server_public, zmq::socket_type type = zmq::socket_type::req) {
  zmq::socket_t socket(context, type);
  socket.set(zmq::sockopt::linger, 0);
  socket.set(zmq::sockopt::curve_serverkey, server_public);
  socket.set(zmq::sockopt::curve_publickey, client.public_z85);
  socket.set(zmq::sockopt::curve_secretkey, client.secret_z85);
  socket.connect(endpoint);
  return socket;
}

protocol::Status status_over(zmq::socket_t& socket) {
  const protocol::Bytes request = protocol::encode(protocol::ControlRequest(protocol::GetStatus{}));
  socket.send(zmq::message_t(request.data(), request.size()), zmq::send_flags::none);
  zmq::message_t reply;
  if (!socket.recv(reply)) throw std::runtime_error("no reply");
  const auto decoded = protocol::decode_reply({static_cast<const std::byte*>(reply.data()), reply.size()});
  if (!decoded) throw std::runtime_error(decoded.error().message);
  return std::get<protocol::Status>(decoded.value().result);
}

std::uint64_t counter(const protocol::Status& status, const std::string& name) {
  for (const auto& [key, value] : status.counters) {
    if (key == name) return value;
  }
  throw std::runtime_error("no counter " + name);
}

TEST(SocketSecurity, CurveAdmitsListedKeysAndCountsTheOthers) {
  const KeyPair server = make_keys(), allowed = make_keys(), stranger = make_keys();
  const TempFile secret(server.secret_z85 + "\n"), clients(allowed.public_z85 + "\n");
  daemon::DaemonConfig config = test_config();
  config.http_enabled = false;
  config.curve_secret_key_file = secret.path();
  config.curve_clients_file = clients.path();
  daemon::Daemon daemon(config);

  zmq::context_t context;
  zmq::socket_t friendly = curve_client(context, daemon.control_endpoint(), allowed, server.public_z85);
  friendly.set(zmq::sockopt::rcvtimeo, 20000);
  const protocol::Status first = status_over(friendly);
  ASSERT_TRUE(first.security);
  EXPECT_TRUE(first.security->curve);
  EXPECT_GE(counter(first, "zmq_auth_accepted"), 1u);

  // The stranger's request is never answered: its handshake is refused, which the daemon counts.
  zmq::socket_t hostile = curve_client(context, daemon.control_endpoint(), stranger, server.public_z85);
  const protocol::Bytes request = protocol::encode(protocol::ControlRequest(protocol::GetStatus{}));
  hostile.send(zmq::message_t(request.data(), request.size()), zmq::send_flags::dontwait);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  std::uint64_t denied = 0;
  while ((denied = counter(status_over(friendly), "zmq_auth_denied")) == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  EXPECT_EQ(denied, 1u);
  zmq::message_t nothing;
  EXPECT_FALSE(hostile.recv(nothing, zmq::recv_flags::dontwait));
}

// The first data socket's failed handshakes once they reach `at_least`, or what they are after 20 s.
std::uint64_t wait_for_handshake_failures(zmq::socket_t& control, std::uint64_t at_least) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  std::uint64_t seen = 0;
  while ((seen = status_over(control).data_sockets.at(0).handshake_failures) < at_least &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  return seen;
}

// --data-curve-secret-key alone: the data sockets are CURVE servers, the other sockets stay plain on loopback; a
// detector whose key is listed gets in, another gets nothing in and is counted.
TEST(SocketSecurity, DataCurveAdmitsListedDetectorsOnly) {
  const KeyPair server = make_keys(), detector = make_keys(), stranger = make_keys();
  const TempFile secret(server.secret_z85 + "\n"), clients(detector.public_z85 + "\n");
  daemon::DaemonConfig config = test_config();
  config.http_enabled = false;
  config.data_curve_secret_key_file = secret.path();
  config.curve_clients_file = clients.path();
  daemon::Daemon daemon(config);

  zmq::context_t context;
  zmq::socket_t control(context, zmq::socket_type::req);
  control.set(zmq::sockopt::linger, 0);
  control.set(zmq::sockopt::rcvtimeo, 20000);
  control.connect(daemon.control_endpoint());
  const protocol::Status first = status_over(control);
  ASSERT_EQ(first.data_sockets.size(), 1u);
  EXPECT_TRUE(first.data_sockets[0].curve);
  EXPECT_FALSE(first.security->curve) << "only the data sockets use CURVE";

  const auto wait_for = [&](const std::string& name, std::uint64_t value) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    std::uint64_t seen = 0;
    while ((seen = counter(status_over(control), name)) < value && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
    return seen;
  };
  const std::string data = daemon.data_endpoints().front();
  zmq::socket_t friendly = curve_client(context, data, detector, server.public_z85, zmq::socket_type::push);
  friendly.send(zmq::str_buffer("not a message"), zmq::send_flags::none);  // refused, but it got in
  EXPECT_EQ(wait_for("messages_received", 1), 1u);

  zmq::socket_t hostile = curve_client(context, data, stranger, server.public_z85, zmq::socket_type::push);
  hostile.send(zmq::str_buffer("not a message"), zmq::send_flags::dontwait);
  EXPECT_EQ(wait_for("zmq_auth_denied", 1), 1u);
  EXPECT_EQ(counter(status_over(control), "messages_received"), 1u);
  EXPECT_EQ(status_over(control).data_sockets[0].messages, 1u);
  // The socket counts the refused handshake too, and one whose client holds another server key (it cannot be
  // decrypted, so ZAP is never asked).
  const std::uint64_t refused = wait_for_handshake_failures(control, 1);
  EXPECT_GE(refused, 1u);
  zmq::socket_t confused = curve_client(context, data, detector, stranger.public_z85, zmq::socket_type::push);
  confused.send(zmq::str_buffer("not a message"), zmq::send_flags::dontwait);
  EXPECT_GT(wait_for_handshake_failures(control, refused + 1), refused);
  const protocol::Status last = status_over(control);
  EXPECT_EQ(last.data_sockets[0].messages, 1u);
  EXPECT_EQ(counter(last, "zmq_handshake_failures"), last.data_sockets[0].handshake_failures);
}

// A CURVE server (a detector binding its PUSH with CURVE) at `endpoint`.
zmq::socket_t curve_server(zmq::context_t& context, const KeyPair& keys, const std::string& endpoint) {
  zmq::socket_t socket(context, zmq::socket_type::push);
  socket.set(zmq::sockopt::linger, 0);
  socket.set(zmq::sockopt::curve_server, true);
  socket.set(zmq::sockopt::curve_secretkey, keys.secret_z85);
  socket.bind(endpoint);
  return socket;
}

daemon::CurvePublicKey binary_key(const std::string& z85) {
  daemon::CurvePublicKey key{};
  if (zmq_z85_decode(key.data(), z85.c_str()) == nullptr) throw std::runtime_error("not a Z85 key: " + z85);
  return key;
}

// --data-connect to a detector that runs CURVE: a server with other keys than --data-curve-server-key, and the right
// server refusing the daemon's key, each fail the handshake, which the data socket counts while the daemon serves
// on; then the right server admits it and its messages arrive.
TEST(SocketSecurity, DataConnectCountsFailedHandshakesAndServesOn) {
  const KeyPair daemon_keys = make_keys(), detector = make_keys(), impostor = make_keys(), someone = make_keys();
  const TempFile secret(daemon_keys.secret_z85 + "\n"), server_key(detector.public_z85 + "\n");
  const TempFile socket_file("");  // its name, unique to this test, is the detector's ipc endpoint
  const std::string endpoint = "ipc://" + socket_file.path() + ".ipc";
  zmq::context_t context;
  zmq::socket_t wrong = curve_server(context, impostor, endpoint);

  daemon::DaemonConfig config = test_config();
  config.http_enabled = false;
  config.data_endpoints = {endpoint};
  config.data_connect = true;
  config.data_curve_secret_key_file = secret.path();
  config.data_curve_server_key_file = server_key.path();
  daemon::Daemon daemon(config);
  zmq::socket_t control(context, zmq::socket_type::req);
  control.set(zmq::sockopt::linger, 0);
  control.set(zmq::sockopt::rcvtimeo, 20000);
  control.connect(daemon.control_endpoint());

  // Another server key: the impostor cannot read the daemon's hello and drops the connection.
  const std::uint64_t with_impostor = wait_for_handshake_failures(control, 1);
  EXPECT_GE(with_impostor, 1u);
  wrong.close();

  // The right server, admitting other clients only (its ZAP handler): it refuses the daemon.
  {
    zmq::context_t detector_context;
    daemon::DaemonCounters detector_counters;
    daemon::ZapHandler zap(detector_context, {binary_key(someone.public_z85)}, detector_counters);
    zmq::socket_t refusing = curve_server(detector_context, detector, endpoint);
    EXPECT_GT(wait_for_handshake_failures(control, with_impostor + 1), with_impostor);
    EXPECT_GE(detector_counters.zmq_auth_denied.load(), 1u);
  }

  // The right server admitting it: its messages arrive (refused as data, but received).
  zmq::socket_t right = curve_server(context, detector, endpoint);
  right.send(zmq::str_buffer("not a message"), zmq::send_flags::none);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  protocol::Status status = status_over(control);
  while (status.data_sockets.at(0).messages == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
    status = status_over(control);
  }
  EXPECT_EQ(status.data_sockets.at(0).messages, 1u);
  EXPECT_TRUE(status.data_sockets.at(0).curve);
  // The daemon's counters sum the failures of every data socket (here the one socket's).
  EXPECT_GT(counter(status, "zmq_handshake_failures"), with_impostor);
  EXPECT_EQ(counter(status, "zmq_handshake_failures"), status.data_sockets.at(0).handshake_failures);
}

// set_center as a raw request, with a "token" key when `token` is not empty.
protocol::Bytes set_center_request(const std::string& token) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> packer(buffer);
  packer.pack_map(token.empty() ? 3 : 4);
  packer.pack(std::string("v")).pack(1);
  packer.pack(std::string("type")).pack(std::string("set_center"));
  packer.pack(std::string("center_offset_px")).pack(0.5);
  if (!token.empty()) packer.pack(std::string("token")).pack(token);
  const auto* data = reinterpret_cast<const std::byte*>(buffer.data());
  return protocol::Bytes(data, data + buffer.size());
}

TEST(SocketSecurity, WithATokenZeroMqControlNeedsIt) {
  daemon::DaemonConfig config = test_config();
  config.http_token = "s3cret";
  DaemonFixture fixture(config);
  expect_scan_reconstructs(fixture, 1);

  const protocol::Reply without = fixture.control().request_bytes(set_center_request(""));
  EXPECT_FALSE(without.ok());
  EXPECT_EQ(without.error->code, protocol::ErrorCode::permission_denied);
  EXPECT_EQ(without.command, "set_center");
  const protocol::Reply wrong = fixture.control().request_bytes(set_center_request("guess"));
  EXPECT_EQ(wrong.error->code, protocol::ErrorCode::permission_denied);
  EXPECT_TRUE(fixture.control().status().security->control_token) << "reading the status needs no token";

  const protocol::Reply with = fixture.control().request_bytes(set_center_request("s3cret"));
  EXPECT_TRUE(with.ok()) << with.error->message;
  EXPECT_DOUBLE_EQ(fixture.control().status().scan->center_offset_px, 0.5);
}

}  // namespace
}  // namespace tomolive::testing
