// Plain-text tables for a terminal: a header row, then rows of cells, each column as wide as its widest cell.
// Columns whose header is flagged `numeric` are right-aligned, the others left-aligned; two spaces between columns.
#pragma once

#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

namespace tomolive::ctl {

class TextTable {
 public:
  struct Column {
    std::string header;
    bool numeric = false;
  };

  explicit TextTable(std::vector<Column> columns);

  // One row; missing cells are blank, extra cells are an error (std::invalid_argument).
  void add_row(std::vector<std::string> cells);
  bool empty() const { return rows_.empty(); }

  // Writes the table, each line indented by `indent` spaces.
  void print(std::ostream& out, std::size_t indent = 2) const;

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

// A list of "key  value" lines with the values aligned, each line indented by `indent` spaces.
using Fields = std::vector<std::pair<std::string, std::string>>;
void print_fields(std::ostream& out, const Fields& fields, std::size_t indent = 2);

}  // namespace tomolive::ctl
