#include "cli/connection.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace plinth::cli {

namespace {

std::optional<std::string> NonEmpty(std::optional<std::string> value) {
  if (value && value->empty()) return std::nullopt;
  return value;
}

std::string Trim(const std::string& s) {
  const char* kSpace = " \t\r\n";
  size_t begin = s.find_first_not_of(kSpace);
  if (begin == std::string::npos) return "";
  size_t end = s.find_last_not_of(kSpace);
  return s.substr(begin, end - begin + 1);
}

// nullopt when the file does not exist; an error when it exists but cannot be read.
Result<std::optional<std::string>> ReadSmallFile(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::optional<std::string>();
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return FailedPrecondition("cannot read " + path.string() + ": " + std::strerror(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return std::optional<std::string>(text.str());
}

}  // namespace

EnvLookup ProcessEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

std::string ResolveDataDir(const std::optional<std::string>& flag, const EnvLookup& env) {
  if (auto dir = NonEmpty(flag)) return *dir;
  if (auto dir = NonEmpty(env("PLINTH_DATA_DIR"))) return *dir;
  return kDefaultDataDir;
}

Result<ConnectionSettings> ResolveConnection(const ConnectionFlags& flags, const EnvLookup& env) {
  const std::filesystem::path data_dir = ResolveDataDir(flags.data_dir, env);
  ConnectionSettings settings;

  if (auto url = NonEmpty(flags.url)) {
    settings.url = *url;
  } else if (auto env_url = NonEmpty(env("PLINTH_URL"))) {
    settings.url = *env_url;
  } else {
    const auto port_file = data_dir / "server.port";
    auto text = ReadSmallFile(port_file);
    if (!text.ok()) return text.status();
    if (!text->has_value()) {
      return FailedPrecondition("no server URL: pass --url or set PLINTH_URL (" +
                                port_file.string() +
                                " does not exist; is a server running "
                                "with --data-dir " +
                                data_dir.string() + "?)");
    }
    std::string port = Trim(**text);
    char* end = nullptr;
    long number = port.empty() ? 0 : std::strtol(port.c_str(), &end, 10);
    if (port.empty() || *end != '\0' || number < 1 || number > 65535) {
      return FailedPrecondition(port_file.string() + " does not hold a port number");
    }
    settings.url = "http://127.0.0.1:" + std::to_string(number);
  }

  if (auto token = NonEmpty(flags.token)) {
    settings.token = *token;
  } else if (auto env_token = NonEmpty(env("PLINTH_TOKEN"))) {
    settings.token = *env_token;
  } else {
    auto text = ReadSmallFile(data_dir / "admin.token");
    if (!text.ok()) return text.status();
    if (text->has_value()) settings.token = Trim(**text);
  }
  return settings;
}

}  // namespace plinth::cli
