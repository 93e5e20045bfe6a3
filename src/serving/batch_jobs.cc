#include "serving/batch_jobs.h"

#include <algorithm>
#include <chrono>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "auth/audit_log.h"
#include "common/clock.h"
#include "common/ids.h"

namespace plinth::serving {

using nlohmann::json;
using storage::SqlRow;
using storage::SqlTx;

namespace {

constexpr size_t kMaxBadRowsKept = 1000;

BatchJob JobFromJson(const json& j) {
  BatchJob job;
  job.id = j.value("id", "");
  job.endpoint = j.value("endpoint", "");
  job.input_sha256 = j.value("input_sha256", "");
  job.format = j.value("format", "csv");
  job.strict = j.value("strict", false);
  job.status = j.value("status", "failed");
  job.rows_total = j.value("rows_total", int64_t{0});
  job.rows_done = j.value("rows_done", int64_t{0});
  job.rows_bad = j.value("rows_bad", int64_t{0});
  if (j.contains("bad_rows") && j["bad_rows"].is_array()) {
    for (const auto& b : j["bad_rows"]) {
      job.bad_rows.push_back(BadRow{b.value("line", int64_t{0}), b.value("message", "")});
    }
  }
  job.rows_per_second = j.value("rows_per_second", 0.0);
  if (j.contains("error") && j["error"].is_string()) job.error = j["error"];
  if (j.contains("output_sha256") && j["output_sha256"].is_string()) job.output_sha256 = j["output_sha256"];
  if (j.contains("variant") && j["variant"].is_string()) job.variant = j["variant"];
  if (j.contains("version") && j["version"].is_number_integer()) job.version = j["version"];
  job.created_ms = j.value("created_ms", int64_t{0});
  if (j.contains("started_ms") && j["started_ms"].is_number_integer()) job.started_ms = j["started_ms"];
  if (j.contains("finished_ms") && j["finished_ms"].is_number_integer()) job.finished_ms = j["finished_ms"];
  job.created_by = j.value("created_by", "");
  return job;
}

}  // namespace

json BatchJobToJson(const BatchJob& job) {
  json bad = json::array();
  for (const BadRow& b : job.bad_rows) bad.push_back({{"line", b.line}, {"message", b.message}});
  auto or_null = [](const std::string& s) { return s.empty() ? json(nullptr) : json(s); };
  auto ms_or_null = [](int64_t ms) { return ms == 0 ? json(nullptr) : json(ms); };
  return {{"id", job.id},
          {"endpoint", job.endpoint},
          {"input_sha256", job.input_sha256},
          {"format", job.format},
          {"strict", job.strict},
          {"status", job.status},
          {"rows_total", job.rows_total},
          {"rows_done", job.rows_done},
          {"rows_bad", job.rows_bad},
          {"bad_rows", bad},
          {"rows_per_second", job.rows_per_second},
          {"error", or_null(job.error)},
          {"output_sha256", or_null(job.output_sha256)},
          {"variant", or_null(job.variant)},
          {"version", job.version == 0 ? json(nullptr) : json(job.version)},
          {"created_ms", job.created_ms},
          {"started_ms", ms_or_null(job.started_ms)},
          {"finished_ms", ms_or_null(job.finished_ms)},
          {"created_by", job.created_by}};
}

struct BatchJobs::Live {
  BatchJob job;  // guarded by BatchJobs::mu_
  std::atomic<int64_t> progress{0};
  std::chrono::steady_clock::time_point started;
};

BatchJobs::BatchJobs(storage::MetadataStore& store, storage::BlobStore& blobs,
                     EndpointManager& endpoints, int threads)
    : store_(store), blobs_(blobs), endpoints_(endpoints), threads_(std::max(1, threads)) {}

BatchJobs::~BatchJobs() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  ready_.notify_one();
  if (worker_.joinable()) worker_.join();
}

Status BatchJobs::Persist(const BatchJob& job, const char* action, const std::string& actor,
                          bool insert) {
  std::string text = BatchJobToJson(job).dump();
  json details = {{"endpoint", job.endpoint}, {"status", job.status}};
  if (insert) {
    details["input_sha256"] = job.input_sha256;
  } else {
    details["rows_done"] = job.rows_done;
    details["rows_bad"] = job.rows_bad;
    if (!job.output_sha256.empty()) details["output_sha256"] = job.output_sha256;
    if (!job.error.empty()) details["error"] = job.error;
  }
  return store_.Write([&](SqlTx& tx) {
    if (insert) {
      RETURN_IF_ERROR(tx.Exec(
          "INSERT INTO batch_jobs (id, created_ms, status, job) VALUES (?, ?, ?, ?)",
          {std::string_view(job.id), job.created_ms, std::string_view(job.status),
           std::string_view(text)}));
    } else {
      RETURN_IF_ERROR(tx.Exec("UPDATE batch_jobs SET status = ?, job = ? WHERE id = ?",
                              {std::string_view(job.status), std::string_view(text),
                               std::string_view(job.id)}));
    }
    return auth::AuditLog::Append(tx, actor, action, "batch-jobs/" + job.id, details.dump());
  });
}

Status BatchJobs::Open() {
  RETURN_IF_ERROR(store_.Write([](SqlTx& tx) {
    RETURN_IF_ERROR(tx.Exec(
        "CREATE TABLE IF NOT EXISTS batch_jobs (id TEXT PRIMARY KEY, created_ms INTEGER NOT NULL,"
        " status TEXT NOT NULL, job TEXT NOT NULL)"));
    return tx.Exec("CREATE INDEX IF NOT EXISTS batch_jobs_by_time ON batch_jobs (created_ms)");
  }));
  std::vector<BatchJob> unfinished;
  RETURN_IF_ERROR(store_.Read([&](SqlTx& tx) {
    return tx.Query("SELECT job FROM batch_jobs WHERE status IN ('queued', 'running')", {},
                    [&](const SqlRow& r) {
                      unfinished.push_back(JobFromJson(json::parse(r.Text(0), nullptr, false)));
                    });
  }));
  for (BatchJob& job : unfinished) {
    job.status = "failed";
    job.error = "the server stopped before the job finished; submit it again";
    job.finished_ms = NowMs();
    RETURN_IF_ERROR(Persist(job, "batch_job.finish", "system", false));
  }
  worker_ = std::thread([this] { Work(); });
  return Status::Ok();
}

Result<BatchJob> BatchJobs::Submit(const auth::Principal& actor, const BatchJobRequest& request) {
  ASSIGN_OR_RETURN(auto endpoint, endpoints_.Get(request.endpoint));
  (void)endpoint;
  if (!blobs_.Contains(request.input_sha256)) {
    return NotFound("no upload has SHA-256 '" + request.input_sha256.substr(0, 64) +
                    "'; upload the rows with POST /api/v1/uploads first");
  }
  auto live = std::make_shared<Live>();
  BatchJob& job = live->job;
  job.id = NewId();
  job.endpoint = request.endpoint;
  job.input_sha256 = request.input_sha256;
  job.format = request.format ? RowFormatName(*request.format) : "";
  job.strict = request.strict;
  job.status = "queued";
  job.created_ms = NowMs();
  job.created_by = actor.name;
  RETURN_IF_ERROR(Persist(job, "batch_job.create", actor.name, true));
  BatchJob answer = job;
  {
    std::lock_guard lock(mu_);
    live_[job.id] = live;
    queue_.push_back(live);
  }
  ready_.notify_one();
  return answer;
}

Result<BatchJob> BatchJobs::Get(const std::string& id) {
  {
    std::lock_guard lock(mu_);
    auto it = live_.find(id);
    if (it != live_.end()) {
      BatchJob job = it->second->job;
      job.rows_done = it->second->progress.load(std::memory_order_relaxed);
      if (job.status == "running") {
        double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                                    it->second->started).count();
        if (secs > 0) job.rows_per_second = static_cast<double>(job.rows_done) / secs;
      }
      return job;
    }
  }
  std::optional<BatchJob> found;
  RETURN_IF_ERROR(store_.Read([&](SqlTx& tx) {
    return tx.Query("SELECT job FROM batch_jobs WHERE id = ?", {std::string_view(id)},
                    [&](const SqlRow& r) { found = JobFromJson(json::parse(r.Text(0), nullptr, false)); });
  }));
  if (!found) return NotFound("batch job '" + id.substr(0, 64) + "' does not exist");
  return *found;
}

Result<std::vector<BatchJob>> BatchJobs::List(const PageRequest& page) {
  std::vector<std::string> ids;
  RETURN_IF_ERROR(store_.Read([&](SqlTx& tx) {
    return tx.Query("SELECT id FROM batch_jobs ORDER BY created_ms DESC, id LIMIT ? OFFSET ?",
                    {static_cast<int64_t>(page.limit) + 1, page.offset},
                    [&](const SqlRow& r) { ids.push_back(r.String(0)); });
  }));
  std::vector<BatchJob> out;
  for (const std::string& id : ids) {
    ASSIGN_OR_RETURN(BatchJob job, Get(id));
    out.push_back(std::move(job));
  }
  return out;
}

Result<std::string> BatchJobs::Output(const std::string& id) {
  ASSIGN_OR_RETURN(BatchJob job, Get(id));
  if (job.status != "succeeded") {
    return Conflict("batch job '" + id + "' is " + job.status + "; its output exists once it has succeeded");
  }
  return blobs_.Get(job.output_sha256);
}

void BatchJobs::WaitIdle() {
  std::unique_lock lock(mu_);
  idle_.wait(lock, [&] { return live_.empty(); });
}

void BatchJobs::Work() {
  for (;;) {
    std::shared_ptr<Live> live;
    {
      std::unique_lock lock(mu_);
      ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      live = queue_.front();
      queue_.pop_front();
      live->job.status = "running";
      live->job.started_ms = NowMs();
      live->started = std::chrono::steady_clock::now();
    }
    Run(*live);
    {
      std::lock_guard lock(mu_);
      live_.erase(live->job.id);
    }
    idle_.notify_all();
  }
}

void BatchJobs::Run(Live& live) {
  BatchJob job;
  {
    std::lock_guard lock(mu_);
    job = live.job;
  }
  // rows_per_second measures reading, predicting and formatting rows, not loading the input.
  auto predict_start = std::chrono::steady_clock::now();
  Result<BatchPredictResult> result = [&]() -> Result<BatchPredictResult> {
    ASSIGN_OR_RETURN(std::string input, blobs_.Get(job.input_sha256));
    ASSIGN_OR_RETURN(auto endpoint, endpoints_.Get(job.endpoint));
    if (!endpoint->error.empty() || endpoint->variants.empty()) {
      return Unavailable("endpoint '" + job.endpoint + "' is not serving: " + endpoint->error);
    }
    const LiveVariant& variant = endpoint->variants[endpoint->split.Choose(job.id)];
    if (!variant.model) {
      return Unavailable("variant '" + variant.name + "' is not loaded: " + variant.load_error);
    }
    RowFormat format = SniffRowFormat(input);
    if (!job.format.empty()) {
      ASSIGN_OR_RETURN(format, RowFormatFromName(job.format));
    }
    int64_t lines = std::count(input.begin(), input.end(), '\n') +
                    (!input.empty() && input.back() != '\n' ? 1 : 0);
    {
      std::lock_guard lock(mu_);
      live.job.format = RowFormatName(format);
      live.job.variant = variant.name;
      live.job.version = variant.model->version;
      live.job.rows_total = std::max<int64_t>(0, format == RowFormat::kCsv ? lines - 1 : lines);
      live.started = std::chrono::steady_clock::now();
      job = live.job;
    }
    BatchPredictOptions options;
    options.format = format;
    options.strict = job.strict;
    options.threads = threads_;
    options.max_bad_rows_kept = kMaxBadRowsKept;
    options.variant = variant.name;
    options.progress = &live.progress;
    predict_start = std::chrono::steady_clock::now();
    return BatchPredict(*variant.model, input, options);
  }();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - predict_start).count();
  job.finished_ms = NowMs();
  if (result.ok()) {
    auto stored = blobs_.Put(result->csv);
    if (stored.ok()) {
      job.status = "succeeded";
      job.output_sha256 = stored->sha256;
    } else {
      job.status = "failed";
      job.error = "storing the output failed: " + stored.status().message();
    }
    job.rows_done = result->rows;
    job.rows_bad = result->bad_rows;
    job.rows_total = result->rows + result->bad_rows;
    job.bad_rows = std::move(result->bad);
    job.rows_per_second = secs > 0 ? static_cast<double>(result->rows) / secs : 0;
  } else {
    job.status = "failed";
    job.error = result.status().message();
    job.rows_done = live.progress.load(std::memory_order_relaxed);
  }
  Status st = Persist(job, "batch_job.finish", job.created_by, false);
  if (!st.ok()) spdlog::error("batch job {} finished but could not be saved: {}", job.id, st.message());
  std::lock_guard lock(mu_);
  live.job = job;
}

}  // namespace plinth::serving
