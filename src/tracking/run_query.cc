#include "tracking/run_query.h"

#include <cctype>
#include <charconv>
#include <optional>

namespace plinth::tracking {

namespace {

enum class FieldKind { kMetric, kParam, kTag, kAttribute };

struct Field {
  FieldKind kind;
  std::string key;  // for attributes: the column name in `runs`
  bool numeric = false;
};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A hand-written scanner over the filter text.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  void SkipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool AtEnd() {
    SkipSpace();
    return pos_ >= text_.size();
  }
  size_t pos() const { return pos_; }

  // A bare word of key characters.
  std::string Word() {
    SkipSpace();
    size_t start = pos_;
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' ||
          c == '/' || c == ':') {
        ++pos_;
      } else {
        break;
      }
    }
    return std::string(text_.substr(start, pos_ - start));
  }

  // A quoted string with the given quote character; nullopt if unterminated.
  std::optional<std::string> Quoted(char quote) {
    if (pos_ >= text_.size() || text_[pos_] != quote) return std::nullopt;
    size_t end = text_.find(quote, pos_ + 1);
    if (end == std::string_view::npos) return std::nullopt;
    std::string out(text_.substr(pos_ + 1, end - pos_ - 1));
    pos_ = end + 1;
    return out;
  }

  char Peek() {
    SkipSpace();
    return pos_ < text_.size() ? text_[pos_] : '\0';
  }

  std::string Operator() {
    SkipSpace();
    static const char* kSymbolic[] = {"!=", "<=", ">=", "=", "<", ">"};
    for (const char* op : kSymbolic) {
      std::string_view o(op);
      if (text_.substr(pos_, o.size()) == o) {
        pos_ += o.size();
        return std::string(o);
      }
    }
    size_t save = pos_;
    std::string word = Lower(Word());
    if (word == "like" || word == "ilike") return word;
    pos_ = save;
    return "";
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

Status Bad(const std::string& what) { return InvalidArgument("filter: " + what); }

Result<Field> ParseField(Scanner& s, const std::string& context) {
  std::string head;
  char c = s.Peek();
  if (c == '`' || c == '"') return Bad("a field needs a prefix such as metrics. before " + context);
  head = s.Word();
  if (head.empty()) return Bad("expected a field in " + context);
  std::string prefix, key;
  size_t dot = head.find('.');
  std::string lower_head = Lower(head);
  static const char* kPrefixes[] = {"metrics", "metric", "params", "param", "tags", "tag",
                                    "attributes", "attribute", "attr", "run"};
  bool has_prefix = false;
  if (dot != std::string::npos) {
    std::string p = Lower(head.substr(0, dot));
    for (const char* known : kPrefixes) has_prefix |= (p == known);
    if (has_prefix) {
      prefix = p;
      key = head.substr(dot + 1);
      if (key.empty()) {  // quoted key after the dot: metrics.`my key`
        char q = s.Peek();
        auto quoted = (q == '`' || q == '"') ? s.Quoted(q) : std::nullopt;
        if (!quoted) return Bad("expected a key after '" + head + "'");
        key = *quoted;
      }
    }
  }
  if (!has_prefix) {
    prefix = "attributes";
    key = head;
  }
  if (prefix.rfind("metric", 0) == 0) return Field{FieldKind::kMetric, key, true};
  if (prefix.rfind("param", 0) == 0) return Field{FieldKind::kParam, key, false};
  if (prefix.rfind("tag", 0) == 0) return Field{FieldKind::kTag, key, false};
  std::string attr = Lower(key);
  if (attr == "status") return Field{FieldKind::kAttribute, "status", false};
  if (attr == "name" || attr == "run_name") return Field{FieldKind::kAttribute, "name", false};
  if (attr == "start_ms" || attr == "start_time") return Field{FieldKind::kAttribute, "start_ms", true};
  if (attr == "end_ms" || attr == "end_time") return Field{FieldKind::kAttribute, "end_ms", true};
  return Bad("unknown field '" + head + "'; use metrics.<key>, params.<key>, tags.<key>, status, "
             "name, start_ms or end_ms");
}

std::optional<double> ParseNumber(const std::string& s) {
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// The SQL expression a field compares, and its bound parameter (the key), if any.
std::string ValueExpr(const Field& f) {
  switch (f.kind) {
    case FieldKind::kMetric:
      return "(SELECT value FROM latest_metrics WHERE run_id = r.id AND key = ?)";
    case FieldKind::kParam:
      return "(SELECT value FROM run_params WHERE run_id = r.id AND key = ?)";
    case FieldKind::kTag:
      return "(SELECT value FROM run_tags WHERE run_id = r.id AND key = ?)";
    case FieldKind::kAttribute:
      return "r." + f.key;
  }
  return "";
}

Status CompileClause(Scanner& s, CompiledRunQuery& q) {
  size_t start = s.pos();
  ASSIGN_OR_RETURN(Field field, ParseField(s, "clause at character " + std::to_string(start + 1)));
  std::string op = s.Operator();
  if (op.empty()) return Bad("expected an operator after '" + field.key + "'");
  bool string_op = (op == "like" || op == "ilike");
  if (field.numeric && string_op) return Bad("'" + op + "' needs a string field, not " + field.key);
  if (!field.numeric && op != "=" && op != "!=" && !string_op) {
    return Bad("'" + op + "' compares numbers; '" + field.key + "' is a string (use =, !=, LIKE, ILIKE)");
  }
  // The value.
  SqlValue value;
  char c = s.Peek();
  if (c == '\'' || c == '"') {
    auto quoted = s.Quoted(c);
    if (!quoted) return Bad("unterminated string after '" + field.key + " " + op + "'");
    if (field.numeric) {
      auto num = ParseNumber(*quoted);
      if (!num) return Bad("'" + field.key + "' compares with a number, got '" + *quoted + "'");
      value = *num;
    } else {
      value = *quoted;
    }
  } else {
    std::string word = s.Word();
    if (word.empty()) return Bad("expected a value after '" + field.key + " " + op + "'");
    auto num = ParseNumber(word);
    if (!num) return Bad("value '" + word + "' must be a number or a quoted string");
    if (field.numeric) {
      value = *num;
    } else {
      value = word;  // params.depth = 6 compares the text "6"
    }
  }
  if (!q.where_sql.empty()) q.where_sql += " AND ";
  std::string expr = ValueExpr(field);
  if (field.kind != FieldKind::kAttribute) q.where_params.push_back(field.key);
  if (op == "ilike") {
    q.where_sql += "(LOWER(" + expr + ") LIKE LOWER(?))";
  } else if (op == "like") {
    q.where_sql += "(" + expr + " LIKE ?)";
  } else {
    // A missing key yields NULL, and NULL compares to nothing: the run does not match.
    q.where_sql += "(" + expr + " " + op + " ?)";
  }
  q.where_params.push_back(std::move(value));
  return Status::Ok();
}

Status CompileOrder(const std::string& item, CompiledRunQuery& q) {
  Scanner s(item);
  ASSIGN_OR_RETURN(Field field, ParseField(s, "order_by '" + item + "'"));
  std::string dir = "ASC";
  if (!s.AtEnd()) {
    std::string word = Lower(s.Word());
    if (word == "desc") {
      dir = "DESC";
    } else if (word != "asc") {
      return InvalidArgument("order_by '" + item + "': expected ASC or DESC");
    }
  }
  if (!s.AtEnd()) return InvalidArgument("order_by '" + item + "' has extra text");
  std::string expr = ValueExpr(field);
  bool keyed = field.kind != FieldKind::kAttribute;
  q.order_sql += expr + " IS NULL, " + expr + " " + dir + ", ";
  if (keyed) {
    q.order_params.push_back(field.key);
    q.order_params.push_back(field.key);
  }
  return Status::Ok();
}

}  // namespace

Result<CompiledRunQuery> CompileRunQuery(const std::string& filter,
                                         const std::vector<std::string>& order_by) {
  CompiledRunQuery q;
  Scanner s(filter);
  if (!s.AtEnd()) {
    for (;;) {
      RETURN_IF_ERROR(CompileClause(s, q));
      if (s.AtEnd()) break;
      size_t at = s.pos();
      if (Lower(s.Word()) != "and") {
        return Bad("expected 'and' at character " + std::to_string(at + 1));
      }
    }
  }
  for (const auto& item : order_by) RETURN_IF_ERROR(CompileOrder(item, q));
  q.order_sql += "r.start_ms DESC, r.id";
  return q;
}

}  // namespace plinth::tracking
