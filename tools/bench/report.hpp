// The benchmark's results: figures measured against ../shared/targets.md, printed as a table and written as JSON
// {"device", "commit", "date", "workload", "figures": [{"id", "value", "unit", "target", "floor", "note"}]}.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace tomolive::bench {

struct Figure {
  std::string id;      // target id (T2, T3, ...) or a descriptive id for supporting figures
  double value = 0.0;  // the median of repeated measurements
  std::string unit;
  std::string target;           // as targets.md states it, e.g. "<= 15"; empty when the figure has none
  std::optional<double> floor;  // the floor or anchor targets.md gives, in `unit`
  std::string note;             // what was measured, how, and anything that qualifies the value
};

struct Report {
  std::string device;
  std::string commit;
  std::string date;  // YYYY-MM-DD
  std::string workload;
  std::vector<Figure> figures;
};

// A fixed-width table of the figures, one per line, value beside target and floor.
void print_table(std::ostream& out, const Report& report);

// The JSON document; throws std::runtime_error when the file cannot be written.
void write_json(const std::string& path, const Report& report);

// Today's date, YYYY-MM-DD (local time).
std::string today();

}  // namespace tomolive::bench
