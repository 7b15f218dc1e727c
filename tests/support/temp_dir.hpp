// A fresh directory under the system temp dir for tests that write files, removed at scope exit.
#ifndef LLAMAPLAN_TESTS_TEMP_DIR_HPP
#define LLAMAPLAN_TESTS_TEMP_DIR_HPP

#include <filesystem>
#include <string>
#include <system_error>

#include <unistd.h>

namespace test_support {

/// A directory named after the test binary's pid and a counter, so parallel test runs never share one.
struct temp_dir {
    std::filesystem::path path;
    temp_dir() {
        static int counter = 0;
        path = std::filesystem::temp_directory_path() /
               ("llamaplan_test_" + std::to_string(static_cast<unsigned long>(::getpid())) + "_" + std::to_string(counter++));
        std::filesystem::create_directories(path);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    /// The path of `name` inside the directory.
    [[nodiscard]] std::string file(const std::string& name) const { return (path / name).string(); }
};

}  // namespace test_support

#endif
