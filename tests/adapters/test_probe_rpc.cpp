// SPDX-License-Identifier: MIT
// The rpc-server probe: the pure codec on byte sequences written from llama.cpp's protocol (ggml-rpc.cpp at
// 3f545bec: | cmd (1) | size (8, little-endian) | payload | requests, | size (8) | payload | replies), hostile
// replies, and the socket layer against in-process fake workers on loopback.
#include <llamaplan/probe/rpc.hpp>

#include <doctest/doctest.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace probe = llamaplan::probe;
namespace rpc = llamaplan::probe::rpc;
using llamaplan::backend;
using llamaplan::errc;
using bytes = std::vector<std::uint8_t>;

namespace {

/// Appends `v` little-endian in `n` bytes (how ggml-rpc writes its size_t / uint32_t / uint64_t fields).
void le(bytes& b, std::uint64_t v, unsigned n) {
    for (unsigned i = 0; i < n; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
bytes reply_of(const bytes& payload) {
    bytes b;
    le(b, payload.size(), 8);
    b.insert(b.end(), payload.begin(), payload.end());
    return b;
}
bytes hello_reply(std::uint8_t major, std::uint8_t minor, std::uint8_t patch) {
    bytes p = {major, minor, patch, 0};  // rpc_msg_hello_rsp: major, minor, patch, padding, conn_caps[24]
    p.resize(28, 0);
    return reply_of(p);
}
bytes u32_reply(std::uint32_t v) {
    bytes p;
    le(p, v, 4);
    return reply_of(p);
}
bytes u64_reply(std::uint64_t v) {
    bytes p;
    le(p, v, 8);
    return reply_of(p);
}
bytes memory_reply(std::uint64_t free, std::uint64_t total) {
    bytes p;
    le(p, free, 8);
    le(p, total, 8);
    return reply_of(p);
}
std::span<const std::uint8_t> view(const bytes& b) { return {b.data(), b.size()}; }
bytes sent(const rpc::request& r) { return {r.bytes().begin(), r.bytes().end()}; }

// ---- a fake worker on 127.0.0.1 (or ::1), one client, driven by a script -------------------------------------

/// Reads exactly n bytes (waiting at most 5 s in all); false on EOF, error or timeout.
bool read_exact(int fd, std::uint8_t* p, std::size_t n) {
    std::size_t got = 0;
    while (got < n) {
        pollfd q{fd, POLLIN, 0};
        if (::poll(&q, 1, 5000) <= 0) return false;
        const ssize_t r = ::recv(fd, p + got, n - got, 0);
        if (r <= 0) return false;
        got += static_cast<std::size_t>(r);
    }
    return true;
}
void write_all(int fd, const bytes& b) {
    std::size_t at = 0;
    while (at < b.size()) {
        const ssize_t n = ::send(fd, b.data() + at, b.size() - at, MSG_NOSIGNAL);
        if (n <= 0) return;
        at += static_cast<std::size_t>(n);
    }
}

/// One request as the fake received it.
struct received {
    std::uint8_t cmd = 0;
    bytes payload{};
};
/// Reads one request (| cmd | size | payload |, payload at most 64 bytes); false on EOF.
bool read_request(int fd, received& r) {
    std::uint8_t head[9];
    if (!read_exact(fd, head, 9)) return false;
    r.cmd = head[0];
    std::uint64_t size = 0;
    for (int i = 0; i < 8; ++i) size |= std::uint64_t{head[1 + i]} << (8 * i);
    if (size > 64) return false;
    r.payload.assign(size, 0);
    return size == 0 || read_exact(fd, r.payload.data(), size);
}

class fake_worker {
public:
    using script = std::function<void(int client, std::vector<received>& log)>;
    explicit fake_worker(script s, bool ipv6 = false) {
        fd_ = ::socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
        if (fd_ < 0) return;  // ok() is false
        int one = 1;
        (void)::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_storage ss{};
        socklen_t len = 0;
        if (ipv6) {
            auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
            a->sin6_family = AF_INET6;
            a->sin6_addr = in6addr_loopback;
            len = sizeof *a;
        } else {
            auto* a = reinterpret_cast<sockaddr_in*>(&ss);
            a->sin_family = AF_INET;
            a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            len = sizeof *a;
        }
        ok_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&ss), len) == 0 && ::listen(fd_, 1) == 0 &&
              ::getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len) == 0;
        port_ = ntohs(ipv6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
        if (!ok_) return;
        thread_ = std::thread([this, s = std::move(s)] {
            pollfd q{fd_, POLLIN, 0};
            if (::poll(&q, 1, 5000) <= 0) return;
            const int c = ::accept(fd_, nullptr, nullptr);
            if (c < 0) return;
            s(c, log_);
            ::close(c);
        });
    }
    fake_worker(const fake_worker&) = delete;
    fake_worker& operator=(const fake_worker&) = delete;
    ~fake_worker() {
        if (thread_.joinable()) thread_.join();
        if (fd_ >= 0) ::close(fd_);
    }
    [[nodiscard]] bool ok() const { return ok_; }
    [[nodiscard]] std::uint16_t port() const { return port_; }
    /// What the client sent (valid after join()).
    std::vector<received>& log() {
        join();
        return log_;
    }
    void join() {
        if (thread_.joinable()) thread_.join();
    }

private:
    int fd_ = -1;
    bool ok_ = false;
    std::uint16_t port_ = 0;
    std::thread thread_{};
    std::vector<received> log_{};
};

/// A worker speaking protocol `hello` with these devices ({free, total, alignment, max_size}); it stops answering
/// (closes) at request number `close_at` when non-negative.
fake_worker::script protocol_worker(bytes hello, std::vector<std::array<std::uint64_t, 4>> devs, int close_at = -1) {
    return [hello = std::move(hello), devs = std::move(devs), close_at](int c, std::vector<received>& log) {
        received r;
        while (read_request(c, r)) {
            log.push_back(r);
            if (static_cast<int>(log.size()) - 1 == close_at) return;
            std::uint32_t dev = 0;
            for (std::size_t i = 0; i < 4 && i < r.payload.size(); ++i) dev |= std::uint32_t{r.payload[i]} << (8 * i);
            if (r.cmd != 14 && r.cmd != 15 && dev >= devs.size()) return;  // rpc_server: index out of range -> close
            switch (r.cmd) {
                case 14: write_all(c, hello); break;
                case 15: write_all(c, u32_reply(static_cast<std::uint32_t>(devs.size()))); break;
                case 11: write_all(c, memory_reply(devs[dev][0], devs[dev][1])); break;
                case 1: write_all(c, u64_reply(devs[dev][2])); break;
                case 2: write_all(c, u64_reply(devs[dev][3])); break;
                default: return;
            }
        }
    };
}

std::string local(const fake_worker& w) { return "127.0.0.1:" + std::to_string(w.port()); }
probe::rpc_timeouts quick() {
    probe::rpc_timeouts t;
    t.connect = std::chrono::milliseconds(2000);
    t.reply = std::chrono::milliseconds(150);
    return t;
}

}  // namespace

// ---- the codec -------------------------------------------------------------------------------------------------

TEST_CASE("rpc codec: requests are the bytes llama.cpp's send_rpc_cmd writes") {
    // HELLO (14) with rpc_msg_hello_req = conn_caps[24], all zero for plain TCP
    bytes hello = {14, 24, 0, 0, 0, 0, 0, 0, 0};
    hello.resize(9 + 24, 0);
    CHECK(sent(rpc::encode_hello()) == hello);
    CHECK(sent(rpc::encode_device_count()) == bytes{15, 0, 0, 0, 0, 0, 0, 0, 0});
    CHECK(sent(rpc::encode_get_device_memory(3)) == bytes{11, 4, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0});
    CHECK(sent(rpc::encode_get_alignment(1)) == bytes{1, 4, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0});
    CHECK(sent(rpc::encode_get_max_size(0x01020304u)) == bytes{2, 4, 0, 0, 0, 0, 0, 0, 0, 4, 3, 2, 1});
    static_assert(rpc::encode_get_alignment(7).size == 13 && rpc::encode_get_alignment(7).data[9] == 7);
    static_assert(rpc::reply_size(rpc::command::hello) == 36 && rpc::reply_size(rpc::command::get_device_memory) == 24);
}

TEST_CASE("rpc codec: replies decode and are validated") {
    auto h = rpc::decode_hello(view(hello_reply(5, 1, 0)));
    REQUIRE(h);
    CHECK(*h == rpc::version{5, 1, 0});
    CHECK(rpc::check_version(*h));
    CHECK(rpc::check_version({5, 0, 7}));
    CHECK(rpc::check_version({6, 0, 0}).error().code == errc::unsupported_version);
    CHECK(rpc::check_version({4, 9, 0}).error().code == errc::unsupported_version);
    CHECK(rpc::check_version({5, 2, 0}).error().code == errc::unsupported_version);

    CHECK(*rpc::decode_device_count(view(u32_reply(2))) == 2);
    CHECK(*rpc::decode_device_count(view(u32_reply(16))) == 16);
    CHECK(rpc::decode_device_count(view(u32_reply(17))).error().code == errc::capacity_exceeded);
    CHECK(rpc::decode_device_count(view(u32_reply(0))).error().code == errc::invalid_argument);
    CHECK(rpc::decode_device_count(view(u32_reply(0xffffffffu))).error().code == errc::capacity_exceeded);

    auto m = rpc::decode_device_memory(view(memory_reply(0x0000000380000000ull, 0x0000000600000000ull)));
    REQUIRE(m);
    CHECK(m->free == 14ull << 30);
    CHECK(m->total == 24ull << 30);
    CHECK(rpc::decode_device_memory(view(memory_reply(5, 4))).error().code == errc::invalid_argument);
    CHECK(rpc::decode_device_memory(view(memory_reply(0, (1ull << 62) + 1))).error().code == errc::overflow);
    CHECK(*rpc::decode_device_memory(view(memory_reply(0, 1ull << 62))) == rpc::device_memory{0, 1ull << 62});

    CHECK(*rpc::decode_alignment(view(u64_reply(32))) == 32);
    CHECK(*rpc::decode_alignment(view(u64_reply(1))) == 1);
    CHECK(rpc::decode_alignment(view(u64_reply(0))).error().code == errc::invalid_argument);
    CHECK(rpc::decode_alignment(view(u64_reply(48))).error().code == errc::invalid_argument);
    CHECK(rpc::decode_alignment(view(u64_reply(1ull << 31))).error().code == errc::overflow);

    CHECK(*rpc::decode_max_size(view(u64_reply(~0ull))) == ~0ull);  // SIZE_MAX: no limit (CPU buffer type)
    CHECK(*rpc::decode_max_size(view(u64_reply(4ull << 30))) == 4ull << 30);
    CHECK(rpc::decode_max_size(view(u64_reply(0))).error().code == errc::invalid_argument);
}

TEST_CASE("rpc codec: hostile replies are refused") {
    const bytes good = memory_reply(1, 2);
    // shorter than the size field, than the payload; longer than the reply
    for (std::size_t n = 0; n < good.size(); ++n) {
        const bytes part(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
        CAPTURE(n);
        CHECK(rpc::decode_device_memory(view(part)).error().code == errc::truncated);
    }
    bytes longer = good;
    longer.push_back(0);
    CHECK(rpc::decode_device_memory(view(longer)).error().code == errc::overflow);
    // a size field that is not the command's reply size: huge, zero, or another command's
    bytes huge = {0, 0, 0, 0, 0, 0, 0, 0x10};
    huge.resize(24, 0);
    auto e = rpc::decode_device_memory(view(huge));
    CHECK(e.error().code == errc::invalid_argument);
    CHECK(e.error().where == 0x1000000000000000ull);
    CHECK(rpc::decode_hello(view(u32_reply(5))).error().code == errc::invalid_argument);
    CHECK(rpc::decode_device_count(view(u64_reply(5))).error().code == errc::invalid_argument);
    CHECK(rpc::decode_alignment(view(reply_of({}))).error().code == errc::invalid_argument);
    // text from an HTTP server on that port
    const std::string http = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
    const bytes text(http.begin(), http.end());
    CHECK(rpc::decode_hello(view(text)).error().code == errc::invalid_argument);
    CHECK(rpc::check_reply_header(rpc::command::hello, view(text)).error().code == errc::invalid_argument);
    CHECK(*rpc::check_reply_header(rpc::command::hello, view(hello_reply(5, 1, 0))) == 28);
}

TEST_CASE("rpc codec: worker addresses") {
    auto a = rpc::parse_endpoint("127.0.0.1:50052");
    REQUIRE(a);
    CHECK(a->host == "127.0.0.1");
    CHECK(a->port == 50052);
    CHECK_FALSE(a->ipv6);
    auto b = rpc::parse_endpoint("[::1]:1");
    REQUIRE(b);
    CHECK(b->host == "::1");
    CHECK(b->port == 1);
    CHECK(b->ipv6);
    CHECK(rpc::parse_endpoint("gpu-box.lan:65535")->port == 65535);
    for (const char* bad : {"", "host", "host:", ":50052", "host:0", "host:65536", "host:123456", "host:12a", "::1:50052",
                            "[::1]50052", "[::1]:", "[::1", "[]:1", "[zz::1]:1", "a b:1", "host:-1"}) {
        CAPTURE(bad);
        CHECK_FALSE(rpc::parse_endpoint(bad));
    }
    auto list = probe::split_rpc_list("a:1,[::1]:2");
    REQUIRE(list);
    CHECK(*list == std::vector<std::string>{"a:1", "[::1]:2"});
    CHECK_FALSE(probe::split_rpc_list("a:1,,b:2"));
    CHECK_FALSE(probe::split_rpc_list(""));
    std::string many;
    for (int i = 0; i < 17; ++i) many += (i ? ",h:" : "h:") + std::to_string(i + 1);
    CHECK(probe::split_rpc_list(many).error().code == errc::capacity_exceeded);
}

// ---- the socket layer against fake workers --------------------------------------------------------------------

TEST_CASE("rpc probe: a worker with two devices, asked in llama.cpp's order") {
    fake_worker w(protocol_worker(hello_reply(5, 1, 0), {{{22ull << 30, 24ull << 30, 256, 4ull << 30}},
                                                         {{60ull << 30, 64ull << 30, 32, ~0ull}}}));
    REQUIRE(w.ok());
    std::string msg;
    auto r = probe::probe_rpc_worker(local(w), quick(), &msg);
    REQUIRE_MESSAGE(r, msg);
    CHECK(r->endpoint == local(w));
    CHECK(r->version == rpc::version{5, 1, 0});
    REQUIRE(r->devices.size() == 2);
    CHECK(r->devices[0].memory_free == 22ull << 30);
    CHECK(r->devices[0].memory_total == 24ull << 30);
    CHECK(r->devices[0].alignment == 256);
    CHECK(r->devices[0].max_size == 4ull << 30);
    CHECK(r->devices[1].memory_free == 60ull << 30);
    CHECK(r->devices[1].memory_total == 64ull << 30);
    CHECK(r->devices[1].alignment == 32);
    CHECK(r->devices[1].max_size == ~0ull);
    CHECK(r->round_trips == 8);
    // what the worker received: HELLO first, then DEVICE_COUNT, then memory / alignment / max size per device
    const auto& log = w.log();
    REQUIRE(log.size() == 8);
    const std::uint8_t order[8] = {14, 15, 11, 1, 2, 11, 1, 2};
    for (std::size_t i = 0; i < 8; ++i) CHECK(log[i].cmd == order[i]);
    CHECK(log[0].payload == bytes(24, 0));
    CHECK(log[1].payload.empty());
    CHECK(log[2].payload == bytes{0, 0, 0, 0});
    CHECK(log[7].payload == bytes{1, 0, 0, 0});

    // as llamaplan devices: remote, memory from the worker; a machine file gives kinds and names
    auto plain = probe::rpc_worker_devices(*r);
    REQUIRE(plain);
    REQUIRE(plain->size() == 2);
    CHECK((*plain)[0].remote());
    CHECK((*plain)[0].endpoint == local(w));
    CHECK((*plain)[0].name == local(w));
    CHECK((*plain)[0].kind == backend::other);
    CHECK((*plain)[1].memory_total == 64ull << 30);
    CHECK((*plain)[1].memory_free == 60ull << 30);
    CHECK((*plain)[0].alignment == 256);
    CHECK((*plain)[0].max_buffer == 4ull << 30);
    CHECK((*plain)[1].max_buffer == ~0ull);

    probe::probe_result file;
    file.devices.resize(2);
    file.devices[0].name = "NVIDIA GeForce RTX 3090";
    file.devices[0].info.kind = backend::cuda;
    file.devices[0].info.bandwidth = 936000000000ull;
    file.devices[0].info.flops = 71000000000000ull;
    file.devices[0].info.memory_total = 1;  // the file's memory figures are not used: the worker's are live
    file.devices[1].name = "AMD Radeon RX 7900 XTX";
    file.devices[1].info.kind = backend::vulkan;
    auto named = probe::rpc_worker_devices(*r, &file);
    REQUIRE(named);
    CHECK((*named)[0].kind == backend::cuda);
    CHECK((*named)[0].name == "NVIDIA GeForce RTX 3090");
    CHECK((*named)[0].bandwidth == 936000000000ull);
    CHECK((*named)[0].flops == 71000000000000ull);
    CHECK((*named)[0].memory_total == 24ull << 30);
    CHECK((*named)[1].kind == backend::vulkan);
    CHECK((*named)[1].endpoint == local(w));
    file.devices.pop_back();
    std::string why;
    CHECK_FALSE(probe::rpc_worker_devices(*r, &file, &why));
    CHECK(why.find("2 device(s)") != std::string::npos);
}

TEST_CASE("rpc probe: a CPU-only worker with its machine file is one CPU device") {
    fake_worker w(protocol_worker(hello_reply(5, 0, 3), {{{31ull << 30, 31ull << 30, 32, ~0ull}}}));
    REQUIRE(w.ok());
    std::string msg;
    auto r = probe::probe_rpc_worker(local(w), quick(), &msg);
    REQUIRE_MESSAGE(r, msg);
    CHECK(r->version == rpc::version{5, 0, 3});  // an older minor is accepted, as llama.cpp does
    CHECK(r->round_trips == 5);
    probe::probe_result file;
    file.host.bandwidth = 80000000000ull;
    file.host.flops = 2000000000000ull;
    auto d = probe::rpc_worker_devices(*r, &file);
    REQUIRE(d);
    REQUIRE(d->size() == 1);
    CHECK((*d)[0].kind == backend::cpu);
    CHECK((*d)[0].name == "CPU");
    CHECK((*d)[0].bandwidth == 80000000000ull);
    CHECK((*d)[0].flops == 2000000000000ull);
    CHECK((*d)[0].memory_total == 31ull << 30);
    CHECK((*d)[0].remote());
}

TEST_CASE("rpc probe: a busy worker (accepts, never answers HELLO) times out with a clear message") {
    std::atomic<bool> got_hello{false};
    std::atomic<int> after_give_up{0};  // what the worker's next read returns once the probe gave up
    fake_worker w([&](int c, std::vector<received>&) {
        received r;
        if (read_request(c, r) && r.cmd == 14) got_hello = true;
        pollfd q{c, POLLIN, 0};
        if (::poll(&q, 1, 5000) <= 0) return;
        std::uint8_t b;
        after_give_up = ::recv(c, &b, 1, 0) < 0 ? -errno : 0;
    });
    REQUIRE(w.ok());
    std::string msg;
    auto r = probe::probe_rpc_worker(local(w), quick(), &msg);
    REQUIRE_FALSE(r);
    CHECK(msg == local(w) + ": no reply to HELLO within 150 ms: worker busy (serving another client) or not an rpc-server");
    w.join();
    CHECK(got_hello);
    // the probe resets the connection it gave up on: a real rpc-server that answers the HELLO later gets
    // ECONNRESET, not the SIGPIPE a normally closed connection would raise in it (rpc.hpp rpc_socket)
    CHECK(after_give_up == -ECONNRESET);
}

TEST_CASE("rpc probe: an answered probe closes normally") {
    std::atomic<int> at_end{1};
    fake_worker w([&](int c, std::vector<received>& log) {
        protocol_worker(hello_reply(5, 1, 0), {{{1, 2, 32, 64}}}, 5)(c, log);  // request 5 would be the next one
        pollfd q{c, POLLIN, 0};
        if (::poll(&q, 1, 5000) <= 0) return;
        std::uint8_t b;
        at_end = static_cast<int>(::recv(c, &b, 1, 0));
    });
    REQUIRE(w.ok());
    std::string msg;
    REQUIRE_MESSAGE(probe::probe_rpc_worker(local(w), quick(), &msg), msg);
    w.join();
    CHECK(at_end == 0);  // end of stream: rpc_serve_client returns and accepts the next client
}

TEST_CASE("rpc probe: refused port, unknown host, bad address") {
    // a port that was just free: bind, read the port, close
    const int s = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(s >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    REQUIRE(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    const std::string ep = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
    ::close(s);
    std::string msg;
    auto r = probe::probe_rpc_worker(ep, quick(), &msg);
    REQUIRE_FALSE(r);
    CHECK(msg == ep + ": connection refused (no rpc-server listens there)");

    auto u = probe::probe_rpc_worker("nonexistent.invalid:50052", quick(), &msg);
    REQUIRE_FALSE(u);
    CHECK(u.error().code == errc::not_found);
    CHECK(msg.rfind("nonexistent.invalid:50052: cannot resolve host 'nonexistent.invalid'", 0) == 0);

    auto b = probe::probe_rpc_worker("::1:50052", quick(), &msg);
    REQUIRE_FALSE(b);
    CHECK(msg == "::1:50052: an IPv6 worker address must be bracketed: [IPV6]:PORT");
}

TEST_CASE("rpc probe: wrong protocol versions are refused naming both versions") {
    for (auto [hello, seen] : {std::pair{hello_reply(6, 0, 0), std::string("6.0.0")}, std::pair{hello_reply(5, 2, 1), std::string("5.2.1")},
                               std::pair{hello_reply(4, 0, 0), std::string("4.0.0")}}) {
        fake_worker w(protocol_worker(hello, {{{1, 2, 32, 64}}}));
        REQUIRE(w.ok());
        std::string msg;
        auto r = probe::probe_rpc_worker(local(w), quick(), &msg);
        REQUIRE_FALSE(r);
        CHECK(r.error().code == errc::unsupported_version);
        CHECK(msg == local(w) + ": rpc-server speaks RPC protocol " + seen +
                         ", llamaplan speaks 5.1.0 (the major versions must match and the server's minor must not be newer, as llama.cpp requires)");
        CHECK(w.log().size() == 1);  // nothing asked after HELLO
    }
}

TEST_CASE("rpc probe: garbage, refusals and hostile counts") {
    {  // an HTTP server on that port
        fake_worker w([](int c, std::vector<received>&) {
            received r;
            (void)read_request(c, r);
            const std::string t = "HTTP/1.1 400 Bad Request\r\n\r\n";
            write_all(c, bytes(t.begin(), t.end()));
        });
        std::string msg;
        auto r = probe::probe_rpc_worker(local(w), quick(), &msg);
        REQUIRE_FALSE(r);
        CHECK(msg.find("the reply to HELLO declares") != std::string::npos);
        CHECK(msg.find("not an rpc-server of protocol 5.x") != std::string::npos);
    }
    {  // closes on HELLO (an rpc-server of another major version closes on a HELLO of another size)
        fake_worker w([](int c, std::vector<received>&) {
            received r;
            (void)read_request(c, r);
        });
        std::string msg;
        REQUIRE_FALSE(probe::probe_rpc_worker(local(w), quick(), &msg));
        CHECK(msg == local(w) + ": closed the connection without answering HELLO: an rpc-server of another protocol version, or not an rpc-server");
    }
    {  // refuses GET_ALIGNMENT of device 0 (request 3)
        fake_worker w(protocol_worker(hello_reply(5, 1, 0), {{{1, 2, 32, 64}}}, 3));
        std::string msg;
        REQUIRE_FALSE(probe::probe_rpc_worker(local(w), quick(), &msg));
        CHECK(msg == local(w) + ": closed the connection while reading the reply to GET_ALIGNMENT for device 0 (the worker refused the request)");
    }
    {  // 17 devices
        fake_worker w(protocol_worker(hello_reply(5, 1, 0), std::vector<std::array<std::uint64_t, 4>>(17, {1, 2, 32, 64})));
        std::string msg;
        auto r = probe::probe_rpc_worker(local(w), quick(), &msg);
        REQUIRE_FALSE(r);
        CHECK(r.error().code == errc::capacity_exceeded);
        CHECK(msg.find("more devices than LLAMAPLAN_MAX_DEVICES (17)") != std::string::npos);
    }
    {  // free above total
        fake_worker w(protocol_worker(hello_reply(5, 1, 0), {{{3, 2, 32, 64}}}));
        std::string msg;
        REQUIRE_FALSE(probe::probe_rpc_worker(local(w), quick(), &msg));
        CHECK(msg == local(w) + ": bad reply to GET_DEVICE_MEMORY for device 0: device free memory exceeds its total");
    }
    {  // a reply that stops half-way: the reply timeout bounds it
        fake_worker w([](int c, std::vector<received>&) {
            received r;
            (void)read_request(c, r);
            write_all(c, bytes{28, 0, 0, 0, 0, 0, 0, 0, 5, 1});
            std::uint8_t b;
            (void)read_exact(c, &b, 1);
        });
        std::string msg;
        REQUIRE_FALSE(probe::probe_rpc_worker(local(w), quick(), &msg));
        CHECK(msg == local(w) + ": no reply to HELLO within 150 ms: worker busy (serving another client) or not an rpc-server");
    }
}

TEST_CASE("rpc probe: a worker that answers each question slowly is bounded by the total budget") {
    // every reply is sent 60 ms late: within the 150 ms reply timeout, but 5 round trips exceed a 200 ms budget
    fake_worker w([](int c, std::vector<received>& log) {
        received r;
        while (read_request(c, r)) {
            log.push_back(r);
            std::this_thread::sleep_for(std::chrono::milliseconds(60));
            if (r.cmd == 14) write_all(c, hello_reply(5, 1, 0));
            else if (r.cmd == 15) write_all(c, u32_reply(1));
            else if (r.cmd == 11) write_all(c, memory_reply(1, 2));
            else if (r.cmd == 1) write_all(c, u64_reply(32));
            else write_all(c, u64_reply(64));
        }
    });
    REQUIRE(w.ok());
    auto t = quick();
    t.total = std::chrono::milliseconds(200);
    std::string msg;
    auto r = probe::probe_rpc_worker(local(w), t, &msg);
    REQUIRE_FALSE(r);
    CHECK(msg.find("before the probe's total time budget ran out") != std::string::npos);
    w.join();
    CHECK(w.log().size() < 5);
}

TEST_CASE("rpc probe: names and IPv6 literals") {
    {  // localhost may resolve to ::1 first; the probe goes on to 127.0.0.1
        fake_worker w(protocol_worker(hello_reply(5, 1, 0), {{{1, 2, 32, 64}}}));
        std::string msg;
        auto r = probe::probe_rpc_worker("localhost:" + std::to_string(w.port()), quick(), &msg);
        REQUIRE_MESSAGE(r, msg);
        CHECK(r->devices.at(0).memory_total == 2);
    }
    fake_worker w6(protocol_worker(hello_reply(5, 1, 0), {{{1, 2, 32, 64}}}), true);
    if (!w6.ok()) {
        MESSAGE("no IPv6 loopback on this machine; the [::1] probe is not exercised");
        return;
    }
    std::string msg;
    auto r = probe::probe_rpc_worker("[::1]:" + std::to_string(w6.port()), quick(), &msg);
    REQUIRE_MESSAGE(r, msg);
    CHECK(r->devices.at(0).alignment == 32);
    CHECK(r->devices.at(0).max_size == 64);
}
