// Benchmark: probing a real llama.cpp rpc-server on loopback (issue target: under 10 ms per worker).
//   llamaplan_bench_rpc_probe [PATH/TO/ggml-rpc-server [ITERATIONS=50]]
// Starts the server on 127.0.0.1 at a free port (LD_LIBRARY_PATH = the binary's directory), waits until it
// answers, probes it ITERATIONS times (a fresh connection each: HELLO, DEVICE_COUNT, 3 questions per device),
// prints the median and slowest probe, what the worker reported and what its startup banner printed for its
// first device, then stops the server. Without a server binary it prints "rpc_probe skipped" and exits 0.
#include <llamaplan/probe/rpc.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <csignal>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace probe = llamaplan::probe;

namespace {
int free_port() {
    const int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (s < 0 || ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) != 0)
        return -1;
    ::close(s);
    return ntohs(a.sin_port);
}
}  // namespace

int main(int argc, char** argv) {
    const std::string server = argc > 1 ? argv[1] : "";
    const int iterations = std::clamp(argc > 2 ? std::atoi(argv[2]) : 50, 1, 10000);
    if (server.empty() || !std::filesystem::exists(server)) {
        std::printf("rpc_probe skipped (no ggml-rpc-server given)\n");
        return 0;
    }
    const int port = free_port();
    if (port <= 0) {
        std::fprintf(stderr, "no free port\n");
        return 1;
    }
    const std::string log = (std::filesystem::temp_directory_path() / ("llamaplan_rpc_bench_" + std::to_string(::getpid()) + ".log")).string();
    const pid_t pid = ::fork();
    if (pid < 0) return 1;
    if (pid == 0) {
        const std::string dir = std::filesystem::path(server).parent_path().string();
        ::setenv("LD_LIBRARY_PATH", dir.c_str(), 1);
        const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            ::dup2(fd, 1);
            ::dup2(fd, 2);
        }
        const std::string p = std::to_string(port);
        ::execl(server.c_str(), server.c_str(), "-H", "127.0.0.1", "-p", p.c_str(), static_cast<char*>(nullptr));
        std::_Exit(127);
    }
    const std::string ep = "127.0.0.1:" + std::to_string(port);
    probe::rpc_timeouts t;
    t.connect = t.reply = std::chrono::milliseconds(2000);
    std::string msg;
    llamaplan::result<probe::rpc_worker> first;
    for (int i = 0; i < 200; ++i) {  // wait for it to listen: at most 10 s
        first = probe::probe_rpc_worker(ep, t, &msg);
        if (first) break;
        int status = 0;
        if (::waitpid(pid, &status, WNOHANG) == pid) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    int rc = 0;
    if (!first) {
        std::fprintf(stderr, "%s\n", msg.c_str());
        rc = 1;
    } else {
        std::vector<double> ms;
        for (int i = 0; i < iterations; ++i) {
            const auto a = std::chrono::steady_clock::now();
            auto w = probe::probe_rpc_worker(ep, t, &msg);
            const auto b = std::chrono::steady_clock::now();
            if (!w) {
                std::fprintf(stderr, "%s\n", msg.c_str());
                rc = 1;
                break;
            }
            ms.push_back(std::chrono::duration<double, std::milli>(b - a).count());
        }
        if (!ms.empty()) {
            std::sort(ms.begin(), ms.end());
            std::printf("rpc_probe_iterations %zu probes\n", ms.size());
            std::printf("rpc_probe_median %.3f ms\n", ms[ms.size() / 2]);
            std::printf("rpc_probe_max %.3f ms\n", ms.back());
        }
        const auto& w = *first;
        std::printf("rpc_probe_round_trips %u requests\n", w.round_trips);
        std::printf("rpc_worker_protocol %u.%u.%u version\n", unsigned{w.version.major}, unsigned{w.version.minor}, unsigned{w.version.patch});
        std::printf("rpc_worker_devices %zu devices\n", w.devices.size());
        for (std::size_t i = 0; i < w.devices.size(); ++i) {
            const auto& d = w.devices[i];
            std::printf("rpc_worker_device%zu_total %llu bytes\n", i, static_cast<unsigned long long>(d.memory_total));
            std::printf("rpc_worker_device%zu_free %llu bytes\n", i, static_cast<unsigned long long>(d.memory_free));
            std::printf("rpc_worker_device%zu_alignment %llu bytes\n", i, static_cast<unsigned long long>(d.alignment));
            std::printf("rpc_worker_device%zu_max_size %llu bytes\n", i, static_cast<unsigned long long>(d.max_size));
        }
    }
    ::kill(pid, SIGTERM);
    int status = 0;
    for (int i = 0; i < 100 && ::waitpid(pid, &status, WNOHANG) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (::waitpid(pid, &status, WNOHANG) == 0) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
    }
    // the banner's "  CPU: <description> (<total> MiB, <free> MiB free)" lines (ggml_backend_rpc_start_server)
    std::ifstream in(log);
    std::string line;
    while (std::getline(in, line)) {
        unsigned long long total = 0, free = 0;
        const auto open = line.rfind(" (");
        if (open != std::string::npos && std::sscanf(line.c_str() + open, " (%llu MiB, %llu MiB free)", &total, &free) == 2) {
            std::printf("rpc_banner_total %llu MiB\n", total);
            std::printf("rpc_banner_free %llu MiB\n", free);
        }
    }
    std::filesystem::remove(log);
    return rc;
}
