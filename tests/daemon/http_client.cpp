#include "http_client.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace tomolive::testing {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

std::uint16_t http_port(daemon::Daemon& daemon) {
  const std::string url = daemon.http_url();  // http://127.0.0.1:PORT/
  const std::size_t colon = url.rfind(':');
  return static_cast<std::uint16_t>(std::stoi(url.substr(colon + 1)));
}

HttpAnswer http_request(std::uint16_t port, http::verb method, const std::string& target, const std::string& host,
                        const std::string& extra_header) {
  net::io_context io;
  beast::tcp_stream stream(io);
  stream.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  http::request<http::string_body> request{method, target, 11};
  request.set(http::field::host, host.empty() ? "127.0.0.1:" + std::to_string(port) : host);
  if (!extra_header.empty()) request.set("X-Extra", extra_header);
  http::write(stream, request);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.skip(method == http::verb::head);
  http::read(stream, buffer, parser);
  const auto& response = parser.get();
  const auto length = response[http::field::content_length];
  return {static_cast<unsigned>(response.result_int()), response.body(),
          std::string(response[http::field::content_type]),
          length.empty() ? 0 : std::stoull(std::string(length.data(), length.size()))};
}

}  // namespace tomolive::testing
