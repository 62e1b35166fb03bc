// A strict reader of the Prometheus text exposition format 0.0.4, for tests: every violation of the format is a
// test failure (ADD_FAILURE with the line), so that a test that parses /metrics also checks that it is valid:
//   - each line is "# HELP name text", "# TYPE name counter|gauge|histogram|summary|untyped" or a sample
//     "name{label="value",...} value"; no blank lines, the text ends with a newline;
//   - metric and label names are valid ([a-zA-Z_:][a-zA-Z0-9_:]*, [a-zA-Z_][a-zA-Z0-9_]*), label values use only
//     the escapes \\ \" \n, values are numbers (or +Inf, -Inf, NaN);
//   - every family has one # HELP and one # TYPE, before its samples, and its samples are together; a sample
//     belongs to a family by its name (a histogram's: name_bucket with "le", name_sum, name_count);
//   - a histogram's buckets, per label set, have increasing "le" ending with "+Inf", cumulative counts that never
//     decrease, and the +Inf bucket equals name_count; name_sum is present.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace tomolive::testing {

using MetricLabels = std::map<std::string, std::string>;

struct MetricSample {
  std::string name;  // as written (a histogram's with its _bucket, _sum or _count suffix)
  MetricLabels labels;
  double value = 0.0;
};

struct MetricFamilyText {
  std::string name;
  std::string help;
  std::string type;
  std::vector<MetricSample> samples;
};

class Exposition {
 public:
  std::map<std::string, MetricFamilyText> families;

  bool has(const std::string& family) const { return families.count(family) > 0; }
  // The value of the sample `name` with exactly `labels`; a test failure (and NaN) when there is none.
  double value(const std::string& name, const MetricLabels& labels = {}) const;
  // The family a sample name belongs to ("x" for x_bucket of histogram x), or "" if none.
  std::string family_of(const std::string& sample_name) const;
};

Exposition parse_exposition(std::string_view text);

}  // namespace tomolive::testing
