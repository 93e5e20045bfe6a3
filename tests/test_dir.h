#pragma once
// A fresh temporary directory per test, removed afterwards.

#include <filesystem>
#include <string>

#include <unistd.h>

#include <gtest/gtest.h>

namespace plinth::testing {

inline std::string MakeTestDir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("plinth-test-" + std::string(info->test_suite_name()) + "-" +
                               info->name() + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

class TestDir {
 public:
  TestDir() : path_(MakeTestDir()) {}
  ~TestDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace plinth::testing
