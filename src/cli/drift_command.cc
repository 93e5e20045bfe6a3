// `plinth drift REFERENCE.csv CURRENT.csv`: data drift between two local CSV files. Unlike the
// other client commands it needs no server: it reads both files and runs the monitoring
// library's drift tests here (see monitoring/drift.h for the methods and their defaults).
//
// Output: a table with one row per column (column, type, method, statistic, p-value, threshold,
// drifted), notes for columns that could not be tested, and the dataset verdict; with --json the
// report as one JSON object (monitoring::DriftReportToJson). Exit 0 whether or not drift was
// found; 2 for bad arguments or unreadable files; 1 when no column could be tested at all.

#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/errors.h"
#include "monitoring/csv_reader.h"
#include "monitoring/drift.h"

namespace plinth::cli {

namespace {

struct DriftArgs {
  std::string reference, current;
  std::string method = "auto";
  std::string threshold;  // empty: the method's default
  std::string columns;    // "a,b,c"; empty: all
  std::string share = "0.5";
};

std::string Number(double value, const char* format) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}

// "a, b ,c" -> {"a", "b", "c"}; empty names are an error.
Result<std::vector<std::string>> SplitColumns(const std::string& text) {
  std::vector<std::string> names;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    std::string name = text.substr(start, comma - start);
    const size_t first = name.find_first_not_of(" \t");
    const size_t last = name.find_last_not_of(" \t");
    name = first == std::string::npos ? "" : name.substr(first, last - first + 1);
    if (name.empty()) return UsageError("--columns has an empty column name: '" + text + "'");
    names.push_back(std::move(name));
    start = comma + 1;
  }
  return names;
}

void PrintReport(CommandContext& ctx, const monitoring::DriftReport& report) {
  std::vector<std::vector<std::string>> rows;
  std::string notes;
  for (const monitoring::ColumnDrift& c : report.columns) {
    if (!c.tested) {
      rows.push_back({c.column, monitoring::ColumnTypeName(c.type), "-", "-", "-", "-",
                      "not tested"});
    } else {
      rows.push_back({c.column, monitoring::ColumnTypeName(c.type),
                      monitoring::DriftMethodName(c.method), Number(c.statistic, "%.6g"),
                      c.p_value ? Number(*c.p_value, "%.4g") : "-", Number(c.threshold, "%g"),
                      c.drifted ? "yes" : "no"});
    }
    if (!c.note.empty()) notes += "note: " + c.column + ": " + c.note + "\n";
  }
  ctx.out() << FormatTable(
      {"COLUMN", "TYPE", "METHOD", "STATISTIC", "P-VALUE", "THRESHOLD", "DRIFTED"}, rows);
  ctx.out() << notes;
  if (report.tested_columns == 0) {
    ctx.out() << "dataset drift: not determined (no column could be tested)\n";
    return;
  }
  ctx.out() << "dataset drift: " << (report.dataset_drift ? "yes" : "no") << " ("
            << report.drifted_columns << " of " << report.tested_columns
            << " tested columns drifted; share " << Number(report.drifted_share, "%.2f")
            << (report.dataset_drift ? " >= " : " < ") << Number(report.share_threshold, "%.2f")
            << ")\n";
}

Status RunDrift(CommandContext& ctx, const DriftArgs& args) {
  monitoring::DriftOptions options;
  auto method = monitoring::ParseDriftMethod(args.method);
  if (!method.ok()) return UsageError("--method: " + method.status().message());
  options.method = *method;
  if (!args.threshold.empty()) {
    ASSIGN_OR_RETURN(double threshold, ParseNumber(args.threshold, "--threshold"));
    options.threshold = threshold;
  }
  ASSIGN_OR_RETURN(options.drift_share, ParseNumber(args.share, "--share"));
  if (!args.columns.empty()) {
    ASSIGN_OR_RETURN(options.columns, SplitColumns(args.columns));
  }
  ASSIGN_OR_RETURN(monitoring::Table reference, monitoring::ReadCsvFile(args.reference));
  ASSIGN_OR_RETURN(monitoring::Table current, monitoring::ReadCsvFile(args.current));
  auto report = monitoring::DetectDrift(reference, current, options);
  if (!report.ok()) {
    std::string message = report.status().message();
    if (message.find("name the columns to compare") != std::string::npos) {
      message.replace(message.find("name the columns to compare"), 27,
                      "choose the columns with --columns");
    }
    return Status(report.status().code(), message);
  }
  if (ctx.json()) {
    ctx.out() << monitoring::DriftReportToJson(*report).dump(2) << "\n";
  } else {
    PrintReport(ctx, *report);
  }
  if (report->tested_columns == 0) {
    return FailedPrecondition("no column could be tested: every column lacks values in the "
                              "reference or the current file");
  }
  return Status::Ok();
}

}  // namespace

void AddDriftCommand(CLI::App& app, CommandContext& ctx) {
  auto args = std::make_shared<DriftArgs>();
  CLI::App* cmd = app.add_subcommand(
      "drift", "Compare two CSV files for data drift, per column and overall (no server needed)");
  cmd->add_option("REFERENCE", args->reference, "reference CSV file (with a header row)")
      ->required();
  cmd->add_option("CURRENT", args->current, "current CSV file (same columns)")->required();
  cmd->add_option("--method", args->method, "auto, ks, psi, js, wasserstein or chisquare")
      ->capture_default_str();
  cmd->add_option("--threshold", args->threshold,
                  "p-value below which (ks, chisquare) or distance at or above which (psi, js, "
                  "wasserstein) a column drifts (default 0.05 or 0.1)");
  cmd->add_option("--columns", args->columns, "compare only these columns: a,b,c");
  cmd->add_option("--share", args->share,
                  "share of drifted columns at or above which the dataset drifts")
      ->capture_default_str();
  OnRun(cmd, ctx, [&ctx, args]() -> Status { return RunDrift(ctx, *args); });
}

}  // namespace plinth::cli
