// A minimal HTTP/1.1 client for tests of the daemon's HTTP port (viewer files, /metrics): one request per
// connection, the response read whole.
#pragma once

#include <cstdint>
#include <string>

#include <boost/beast/http/verb.hpp>

#include "tomolive/daemon/daemon.hpp"

namespace tomolive::testing {

// The port of the daemon's HTTP server (from its URL).
std::uint16_t http_port(daemon::Daemon& daemon);

struct HttpAnswer {
  unsigned status = 0;
  std::string body;
  std::string content_type;
  std::uint64_t content_length = 0;  // the Content-Length field (HEAD: the GET body's length)
};

// One HTTP/1.1 request with the raw target as given (no normalisation, as an attacker would send it). host: the
// Host header ("" for 127.0.0.1:port); extra_header: a field "X-Extra" of that value when not empty.
HttpAnswer http_request(std::uint16_t port, boost::beast::http::verb method, const std::string& target,
                        const std::string& host = "", const std::string& extra_header = "");

}  // namespace tomolive::testing
