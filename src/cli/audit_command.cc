// `plinth audit list|verify`: the hash-chained audit log (/api/v1/audit). `verify` re-checks the
// chain here, from the listed events alone, so it does not have to trust the server.

#include <CLI/CLI.hpp>
#include <memory>

#include "auth/audit_chain.h"
#include "cli/commands.h"

namespace plinth::cli {

namespace {

using Json = nlohmann::json;

// Pages through the whole log in seq order, feeding the verifier until it reports a break.
Status VerifyAuditLog(CommandContext& ctx, const std::string& expected_head) {
  auth::AuditChainVerifier verifier;
  if (!expected_head.empty()) {
    auto head = auth::ParseAuditHead(expected_head);
    if (!head) return InvalidArgument("--head must be SEQ:HASH as `plinth audit verify` prints it");
    verifier.ExpectHead(*head);
  }
  ASSIGN_OR_RETURN(ApiClient * api, ctx.Api());
  // Page by page, so a long log is never held whole; stops at the first break.
  std::string page_token;
  bool intact = true;
  while (intact) {
    QueryParams query = {{"limit", std::to_string(kMaxPageSize)}, {"page_token", page_token}};
    ASSIGN_OR_RETURN(Json page, api->Call("GET", WithQuery("/api/v1/audit", query)));
    const Json events = page.is_object() ? page.value("items", Json::array()) : page;
    for (const Json& event : events) {
      intact = verifier.Add(event);
      if (!intact) break;
    }
    std::string next = page.is_object() ? page.value("next_page_token", "") : "";
    if (next.empty()) break;
    if (next == page_token) return Internal("the server returned the same page token twice");
    page_token = std::move(next);
  }
  auth::AuditVerification result = verifier.Finish();
  if (ctx.json()) {
    Json report = {{"ok", result.ok},
                   {"events", result.events},
                   {"first_bad_seq", result.first_bad_seq ? Json(*result.first_bad_seq) : Json()},
                   {"message", result.message},
                   {"head", std::to_string(result.head_seq) + ":" + result.head_hash}};
    ctx.out() << report.dump(2) << "\n";
  } else if (result.ok) {
    ctx.out() << "audit chain verified: " << result.events << " events\n"
              << "head: " << result.head_seq << ":" << result.head_hash
              << "  (keep it; `plinth audit verify --head` later shows if events were cut off)\n";
  } else {
    ctx.out() << "audit chain broken at seq " << result.first_bad_seq.value_or(0) << ": "
              << result.message << "\n";
  }
  if (!result.ok) ctx.set_exit_code(1);
  return Status::Ok();
}

}  // namespace

void AddAuditCommands(CLI::App& app, CommandContext& ctx) {
  CLI::App* group = app.add_subcommand("audit", "The audit log of every state change");
  group->require_subcommand(1);
  {
    struct Args {
      int64_t limit = 0;
      int64_t after_seq = 0;
    };
    auto args = std::make_shared<Args>();
    CLI::App* cmd = group->add_subcommand("list", "List audit events, oldest first");
    AddLimitOption(cmd, &args->limit);
    cmd->add_option("--after-seq", args->after_seq, "only events after this seq")
        ->check(CLI::NonNegativeNumber);
    OnRun(cmd, ctx, [&ctx, args]() -> Status {
      QueryParams query;
      if (args->after_seq > 0) query.emplace_back("after_seq", std::to_string(args->after_seq));
      return ListAndPrint(
          ctx, "/api/v1/audit", query, args->limit,
          {FieldColumn("SEQ", "seq"), FieldColumn("TIME", "time_ms"), FieldColumn("ACTOR", "actor"),
           FieldColumn("ACTION", "action"), FieldColumn("RESOURCE", "resource")});
    });
  }
  {
    auto head = std::make_shared<std::string>();
    CLI::App* cmd =
        group->add_subcommand("verify", "Re-check the audit hash chain here, client-side");
    cmd->add_option("--head", *head,
                    "a head printed by an earlier verify (SEQ:HASH): the log must still hold it");
    OnRun(cmd, ctx, [&ctx, head]() -> Status { return VerifyAuditLog(ctx, *head); });
  }
}

}  // namespace plinth::cli
