#include "cli/connection.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

namespace plinth::cli {
namespace {

namespace fs = std::filesystem;

class ConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("plinth_cli_conn_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }

  EnvLookup Env() {
    return [this](const std::string& name) -> std::optional<std::string> {
      auto it = env_.find(name);
      if (it == env_.end()) return std::nullopt;
      return it->second;
    };
  }

  ConnectionFlags DirFlags() {
    ConnectionFlags flags;
    flags.data_dir = dir_.string();
    return flags;
  }

  fs::path dir_;
  std::map<std::string, std::string> env_;
};

TEST_F(ConnectionTest, ReadsPortAndAdminTokenFromDataDir) {
  Write("server.port", "43117\n");
  Write("admin.token", "  secret-admin\n");
  auto settings = ResolveConnection(DirFlags(), Env());
  ASSERT_TRUE(settings.ok()) << settings.status().message();
  EXPECT_EQ(settings->url, "http://127.0.0.1:43117");
  EXPECT_EQ(settings->token, "secret-admin");
}

TEST_F(ConnectionTest, DataDirComesFromEnvWhenNoFlag) {
  Write("server.port", "5000");
  env_["PLINTH_DATA_DIR"] = dir_.string();
  auto settings = ResolveConnection(ConnectionFlags{}, Env());
  ASSERT_TRUE(settings.ok()) << settings.status().message();
  EXPECT_EQ(settings->url, "http://127.0.0.1:5000");
  EXPECT_EQ(settings->token, "");  // no admin.token: no token
}

TEST_F(ConnectionTest, FlagsBeatEnvBeatFiles) {
  Write("server.port", "5000");
  Write("admin.token", "file-token");
  env_["PLINTH_URL"] = "http://env:1";
  env_["PLINTH_TOKEN"] = "env-token";
  auto from_env = ResolveConnection(DirFlags(), Env());
  ASSERT_TRUE(from_env.ok());
  EXPECT_EQ(from_env->url, "http://env:1");
  EXPECT_EQ(from_env->token, "env-token");

  ConnectionFlags flags = DirFlags();
  flags.url = "http://flag:2";
  flags.token = "flag-token";
  auto from_flags = ResolveConnection(flags, Env());
  ASSERT_TRUE(from_flags.ok());
  EXPECT_EQ(from_flags->url, "http://flag:2");
  EXPECT_EQ(from_flags->token, "flag-token");
}

TEST_F(ConnectionTest, EmptyValuesCountAsAbsent) {
  Write("server.port", "5000");
  env_["PLINTH_URL"] = "";
  ConnectionFlags flags = DirFlags();
  flags.token = "";
  auto settings = ResolveConnection(flags, Env());
  ASSERT_TRUE(settings.ok());
  EXPECT_EQ(settings->url, "http://127.0.0.1:5000");
}

TEST_F(ConnectionTest, MissingPortFileNamesIt) {
  auto settings = ResolveConnection(DirFlags(), Env());
  ASSERT_FALSE(settings.ok());
  EXPECT_EQ(settings.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(settings.status().message().find((dir_ / "server.port").string()), std::string::npos);
}

TEST_F(ConnectionTest, RejectsPortFileWithoutPort) {
  Write("server.port", "eighty");
  EXPECT_FALSE(ResolveConnection(DirFlags(), Env()).ok());
  Write("server.port", "70000");
  EXPECT_FALSE(ResolveConnection(DirFlags(), Env()).ok());
}

TEST(ResolveDataDir, DefaultsToPlinthData) {
  EnvLookup none = [](const std::string&) { return std::optional<std::string>(); };
  EXPECT_EQ(ResolveDataDir(std::nullopt, none), "plinth-data");
  EXPECT_EQ(ResolveDataDir(std::string("d"), none), "d");
}

}  // namespace
}  // namespace plinth::cli
