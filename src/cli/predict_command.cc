// `plinth predict --endpoint E --input rows.csv|rows.jsonl [--output preds.csv]`: batch
// inference through an endpoint. Rows go in batches as named `instances`; a row that cannot be
// read (a value that is not a number, a line that is not a JSON object) is reported with its
// line number and skipped, or ends the command with --strict. Progress and rows/s go to stderr.

#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "cli/args.h"
#include "cli/commands.h"

namespace plinth::cli {

namespace {

// Splits one CSV line (RFC 4180 quotes; no embedded newlines).
std::vector<std::string> SplitCsvLine(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c != '\r') {
      fields.back() += c;
    }
  }
  return fields;
}

struct Row {
  int64_t line = 0;
  nlohmann::json instance;
};

// One input row as an instance, or the reason it cannot be one.
Result<nlohmann::json> CsvInstance(const std::vector<std::string>& header, const std::string& line) {
  std::vector<std::string> fields = SplitCsvLine(line);
  if (fields.size() != header.size()) {
    return InvalidArgument("has " + std::to_string(fields.size()) + " fields, the header has " +
                           std::to_string(header.size()));
  }
  nlohmann::json instance = nlohmann::json::object();
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].empty()) continue;  // missing
    auto value = ParseNumber(fields[i], header[i]);
    if (!value.ok()) return InvalidArgument("column '" + header[i] + "': '" + fields[i] + "' is not a number");
    instance[header[i]] = *value;
  }
  return instance;
}

Result<nlohmann::json> JsonlInstance(const std::string& line) {
  nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return InvalidArgument("is not a JSON object");
  return j;
}

struct Args {
  std::string endpoint, input, output;
  bool strict = false;
  int64_t batch = 500;
};

Status RunPredict(CommandContext& ctx, const Args& args) {
  std::ifstream in(args.input);
  if (!in) return InvalidArgument("cannot read " + args.input);
  bool jsonl = args.input.size() > 6 && (args.input.ends_with(".jsonl") || args.input.ends_with(".ndjson"));
  std::ofstream file_out;
  std::ostream* out = &ctx.out();
  if (!args.output.empty()) {
    file_out.open(args.output, std::ios::trunc);
    if (!file_out) return InvalidArgument("cannot write " + args.output);
    out = &file_out;
  }
  ASSIGN_OR_RETURN(ApiClient * api, ctx.Api());
  std::string target = "/api/v1/endpoints/" + EncodeSegment(args.endpoint) + "/predict";

  std::vector<std::string> header;
  std::string line;
  int64_t line_no = 0, done = 0, skipped = 0;
  if (!jsonl) {
    if (!std::getline(in, line)) return InvalidArgument(args.input + " is empty");
    ++line_no;
    header = SplitCsvLine(line);
  }
  bool wrote_header = false;
  auto start = std::chrono::steady_clock::now();
  auto progress = [&](bool final) {
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::cerr << "\r" << done << " rows predicted, " << skipped << " skipped, "
              << static_cast<int64_t>(done / std::max(secs, 1e-9)) << " rows/s"
              << (final ? "\n" : "") << std::flush;
  };
  std::vector<Row> batch;
  auto flush = [&]() -> Status {
    if (batch.empty()) return Status::Ok();
    nlohmann::json instances = nlohmann::json::array();
    for (const Row& r : batch) instances.push_back(r.instance);
    ASSIGN_OR_RETURN(nlohmann::json answer, api->Call("POST", target, {{"instances", instances}}));
    const nlohmann::json& preds = answer.at("predictions");
    if (!wrote_header) {
      *out << "line";
      if (!preds.empty() && preds[0].is_array()) {
        for (size_t k = 0; k < preds[0].size(); ++k) *out << ",p" << k;
      } else {
        *out << ",prediction";
      }
      *out << ",variant,version\n";
      wrote_header = true;
    }
    for (size_t i = 0; i < batch.size() && i < preds.size(); ++i) {
      *out << batch[i].line;
      if (preds[i].is_array()) {
        for (const auto& p : preds[i]) *out << "," << p.dump();
      } else {
        *out << "," << preds[i].dump();
      }
      *out << "," << answer.value("variant", "") << "," << answer.value("version", 0) << "\n";
    }
    done += static_cast<int64_t>(batch.size());
    batch.clear();
    progress(false);
    return Status::Ok();
  };
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line == "\r") continue;
    auto instance = jsonl ? JsonlInstance(line) : CsvInstance(header, line);
    if (!instance.ok()) {
      std::string why = args.input + ":" + std::to_string(line_no) + " " + instance.status().message();
      if (args.strict) return InvalidArgument(why);
      std::cerr << "\rskipped " << why << "\n";
      ++skipped;
      continue;
    }
    batch.push_back(Row{line_no, std::move(instance).value()});
    if (static_cast<int64_t>(batch.size()) >= args.batch) RETURN_IF_ERROR(flush());
  }
  RETURN_IF_ERROR(flush());
  progress(true);
  return Status::Ok();
}

}  // namespace

void AddPredictCommand(CLI::App& app, CommandContext& ctx) {
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("predict", "Batch inference through an endpoint");
  cmd->add_option("--endpoint", args->endpoint, "endpoint name")->required();
  cmd->add_option("--input", args->input, "rows.csv (header: feature names) or rows.jsonl")->required();
  cmd->add_option("--output", args->output, "predictions CSV (default: standard output)");
  cmd->add_flag("--strict", args->strict, "stop at the first bad row instead of skipping it");
  cmd->add_option("--batch-size", args->batch, "rows per request")->check(CLI::Range(1, 10000));
  OnRun(cmd, ctx, [&ctx, args]() -> Status { return RunPredict(ctx, *args); });
}

}  // namespace plinth::cli
