#include "report.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <stdexcept>

namespace tomolive::bench {
namespace {

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
          out += escaped;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string json_number(double value) {
  if (!std::isfinite(value)) return "null";
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", value);
  return text;
}

std::string format_value(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4g", value);
  return text;
}

}  // namespace

void print_table(std::ostream& out, const Report& report) {
  out << "tomolive-bench  workload " << report.workload << "  device " << report.device << "  commit "
      << report.commit << "  " << report.date << "\n";
  out << std::left << std::setw(22) << "id" << std::setw(12) << "value" << std::setw(12) << "unit" << std::setw(12)
      << "target" << std::setw(10) << "floor"
      << "note\n";
  for (const Figure& f : report.figures) {
    out << std::left << std::setw(22) << f.id << std::setw(12) << format_value(f.value) << std::setw(12) << f.unit
        << std::setw(12) << (f.target.empty() ? "-" : f.target) << std::setw(10)
        << (f.floor ? format_value(*f.floor) : "-") << f.note << "\n";
  }
}

void write_json(const std::string& path, const Report& report) {
  std::ostringstream json;
  json << "{\"device\": " << json_string(report.device) << ", \"commit\": " << json_string(report.commit)
       << ", \"date\": " << json_string(report.date) << ", \"workload\": " << json_string(report.workload)
       << ", \"figures\": [";
  for (std::size_t k = 0; k < report.figures.size(); ++k) {
    const Figure& f = report.figures[k];
    json << (k == 0 ? "\n  " : ",\n  ") << "{\"id\": " << json_string(f.id) << ", \"value\": " << json_number(f.value)
         << ", \"unit\": " << json_string(f.unit) << ", \"target\": " << json_string(f.target)
         << ", \"floor\": " << (f.floor ? json_number(*f.floor) : "null") << ", \"note\": " << json_string(f.note)
         << "}";
  }
  json << "\n]}\n";
  std::ofstream file(path);
  file << json.str();
  if (!file) throw std::runtime_error("cannot write " + path);
}

std::string today() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm local{};
  localtime_r(&now, &local);
  char text[16];
  std::strftime(text, sizeof text, "%Y-%m-%d", &local);
  return text;
}

}  // namespace tomolive::bench
