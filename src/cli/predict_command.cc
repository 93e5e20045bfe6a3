// `plinth predict --endpoint E --input rows.csv|rows.jsonl [--output preds.csv]`: batch
// inference through an endpoint. Rows go in batches as named `instances`; a row that cannot be
// read (a value that is not a number, a line that is not a JSON object) is reported with its
// line number and skipped, or ends the command with --strict. The rows are read with
// common/row_reader.h, the reader of the server's batch jobs. Progress and rows/s go to stderr.

#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <thread>

#include "cli/args.h"
#include "cli/commands.h"
#include "common/row_reader.h"

namespace plinth::cli {

namespace {

struct Instance {
  int64_t line = 0;
  nlohmann::json instance;
};

// A JSON field of the answer as CSV text ("" for null: a constant fallback has no variant).
std::string Field(const nlohmann::json& answer, const char* key) {
  auto it = answer.find(key);
  if (it == answer.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

struct Args {
  std::string endpoint, input, output;
  bool strict = false;
  bool job = false;
  int64_t batch = 500;
};

// --job: uploads the file and runs it as a batch job in the server (POST /api/v1/batch-jobs),
// printing progress and bad rows to stderr, then writes the job's output.
Status RunPredictJob(CommandContext& ctx, const Args& args) {
  std::ifstream in(args.input, std::ios::binary);
  if (!in) return InvalidArgument("cannot read " + args.input);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSIGN_OR_RETURN(ApiClient * api, ctx.Api());
  ASSIGN_OR_RETURN(nlohmann::json upload, api->SendBytes("POST", "/api/v1/uploads", text));
  bool jsonl = args.input.ends_with(".jsonl") || args.input.ends_with(".ndjson");
  nlohmann::json body = {{"endpoint", args.endpoint},
                         {"input", upload.at("sha256")},
                         {"format", jsonl ? "jsonl" : "csv"},
                         {"strict", args.strict}};
  ASSIGN_OR_RETURN(nlohmann::json job, api->Call("POST", "/api/v1/batch-jobs", body));
  const std::string target = "/api/v1/batch-jobs/" + EncodeSegment(job.at("id").get<std::string>());
  std::cerr << "batch job " << job.at("id").get<std::string>() << "\n";
  while (job.at("status") == "queued" || job.at("status") == "running") {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ASSIGN_OR_RETURN(job, api->Call("GET", target));
    std::cerr << "\r" << job.value("rows_done", int64_t{0}) << " of " << job.value("rows_total", int64_t{0})
              << " rows predicted" << std::flush;
  }
  std::cerr << "\n";
  for (const auto& bad : job.at("bad_rows")) {
    std::cerr << "skipped " << args.input << ":" << bad.value("line", int64_t{0}) << " "
              << bad.value("message", "") << "\n";
  }
  if (job.at("status") != "succeeded") {
    return InvalidArgument(args.input + ": " + job.value("error", std::string("the batch job failed")));
  }
  ASSIGN_OR_RETURN(std::string csv, api->Download(target + "/output"));
  if (args.output.empty()) {
    ctx.out() << csv;
  } else {
    std::ofstream out(args.output, std::ios::trunc | std::ios::binary);
    if (!out) return InvalidArgument("cannot write " + args.output);
    out << csv;
  }
  std::cerr << job.value("rows_done", int64_t{0}) << " rows predicted, " << job.value("rows_bad", int64_t{0})
            << " skipped, " << static_cast<int64_t>(job.value("rows_per_second", 0.0))
            << " rows/s in the server\n";
  return Status::Ok();
}

Status RunPredict(CommandContext& ctx, const Args& args) {
  std::ifstream in(args.input, std::ios::binary);
  if (!in) return InvalidArgument("cannot read " + args.input);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
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

  // The rows are read by the same reader as the server's batch jobs (common/row_reader.h).
  std::optional<RowReader> reader;
  if (jsonl) {
    reader = RowReader::Jsonl(LineRange{text, 1});
  } else {
    auto header = ReadCsvHeader(text);
    if (!header.ok()) return InvalidArgument(args.input + ": " + header.status().message());
    reader = RowReader::Csv(LineRange{std::string_view(text).substr(header->body_offset),
                                      header->body_line},
                            std::move(header->columns));
  }
  int64_t done = 0, skipped = 0;
  bool wrote_header = false;
  auto start = std::chrono::steady_clock::now();
  auto progress = [&](bool final) {
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::cerr << "\r" << done << " rows predicted, " << skipped << " skipped, "
              << static_cast<int64_t>(done / std::max(secs, 1e-9)) << " rows/s"
              << (final ? "\n" : "") << std::flush;
  };
  std::vector<Instance> batch;
  auto flush = [&]() -> Status {
    if (batch.empty()) return Status::Ok();
    nlohmann::json instances = nlohmann::json::array();
    for (const Instance& r : batch) instances.push_back(r.instance);
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
      *out << "," << Field(answer, "variant") << "," << Field(answer, "version") << "\n";
    }
    done += static_cast<int64_t>(batch.size());
    batch.clear();
    progress(false);
    return Status::Ok();
  };
  Row parsed;
  while (reader->Next(&parsed)) {
    if (!parsed.error.empty()) {
      std::string why = args.input + ":" + std::to_string(parsed.line) + " " + parsed.error;
      if (args.strict) return InvalidArgument(why);
      std::cerr << "\rskipped " << why << "\n";
      ++skipped;
      continue;
    }
    nlohmann::json instance = nlohmann::json::object();
    for (const RowCell& cell : parsed.cells) instance[reader->columns()[cell.column]] = cell.value;
    batch.push_back(Instance{parsed.line, std::move(instance)});
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
  cmd->add_flag("--job", args->job,
                "upload the file and predict it as a batch job inside the server (faster)");
  OnRun(cmd, ctx, [&ctx, args]() -> Status {
    return args->job ? RunPredictJob(ctx, *args) : RunPredict(ctx, *args);
  });
}

}  // namespace plinth::cli
