#include "text_table.hpp"

#include <algorithm>
#include <ostream>
#include <stdexcept>
#include <utility>

namespace tomolive::ctl {

TextTable::TextTable(std::vector<Column> columns) : columns_(std::move(columns)) {}

void TextTable::add_row(std::vector<std::string> cells) {
  if (cells.size() > columns_.size()) {
    throw std::invalid_argument("a row of " + std::to_string(cells.size()) + " cells for a table of " +
                                std::to_string(columns_.size()) + " columns");
  }
  cells.resize(columns_.size());
  rows_.push_back(std::move(cells));
}

void TextTable::print(std::ostream& out, std::size_t indent) const {
  std::vector<std::size_t> widths(columns_.size());
  for (std::size_t c = 0; c < columns_.size(); ++c) {
    widths[c] = columns_[c].header.size();
    for (const auto& row : rows_) widths[c] = std::max(widths[c], row[c].size());
  }
  const auto print_line = [&](auto cell_of) {
    std::string line(indent, ' ');
    for (std::size_t c = 0; c < columns_.size(); ++c) {
      const std::string& cell = cell_of(c);
      const std::string padding(widths[c] - cell.size(), ' ');
      if (c > 0) line += "  ";
      line += columns_[c].numeric ? padding + cell : cell + padding;
    }
    line.erase(line.find_last_not_of(' ') + 1);
    out << line << '\n';
  };
  print_line([&](std::size_t c) -> const std::string& { return columns_[c].header; });
  for (const auto& row : rows_) print_line([&](std::size_t c) -> const std::string& { return row[c]; });
}

void print_fields(std::ostream& out, const Fields& fields, std::size_t indent) {
  std::size_t width = 0;
  for (const auto& field : fields) width = std::max(width, field.first.size());
  for (const auto& [key, value] : fields) {
    out << std::string(indent, ' ') << key << std::string(width - key.size() + 2, ' ') << value << '\n';
  }
}

}  // namespace tomolive::ctl
