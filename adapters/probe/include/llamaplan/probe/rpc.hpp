// SPDX-License-Identifier: MIT
// Asks a llama.cpp `rpc-server` worker what devices it has, over its own protocol (rpc_protocol.hpp), and turns
// the answer into llamaplan::device entries. POSIX sockets; every wait is bounded by a timeout.
#ifndef LLAMAPLAN_PROBE_RPC_HPP
#define LLAMAPLAN_PROBE_RPC_HPP

#include <llamaplan/config.hpp>
#include <llamaplan/machine.hpp>
#include <llamaplan/probe/json.hpp>
#include <llamaplan/probe/probe_result.hpp>
#include <llamaplan/probe/rpc_protocol.hpp>
#include <llamaplan/result.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#if defined(__unix__) || defined(__APPLE__)
#include <cerrno>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>
#endif

namespace llamaplan::inline LLAMAPLAN_ABI_TAG::probe {

/// How long a probe waits (milliseconds). Name resolution (getaddrinfo, names only; literals never wait) is bounded
/// by the system resolver's own timeouts instead.
struct rpc_timeouts {
    std::chrono::milliseconds connect{2000};  ///< for the TCP connection, per address tried
    std::chrono::milliseconds reply{2000};    ///< for each reply, from sending the request to its last byte
    std::chrono::milliseconds total{10000};   ///< for the whole probe after connecting (up to 50 questions)
};

/// What a worker reports for one of its devices (all in bytes).
struct rpc_device_report {
    std::uint64_t memory_free = 0;   ///< free memory (GET_DEVICE_MEMORY; a CPU device reports all of it free)
    std::uint64_t memory_total = 0;  ///< total memory (GET_DEVICE_MEMORY)
    std::uint64_t alignment = 0;     ///< buffer alignment of its default buffer type (GET_ALIGNMENT)
    std::uint64_t max_size = 0;      ///< largest buffer it allocates (GET_MAX_SIZE; 2^64 - 1 = no limit)
};

/// One probed worker.
struct rpc_worker {
    std::string endpoint{};                    ///< the address as given ("host:port", "[::1]:50052")
    rpc::version version{};                    ///< the protocol version its HELLO reported
    std::vector<rpc_device_report> devices{};  ///< its devices, in its order (RPC device index 0, 1, ...)
    std::uint32_t round_trips = 0;             ///< requests answered (2 + 3 per device)
    std::chrono::microseconds elapsed{};       ///< from resolving the address to the last reply
};

namespace detail {

/// "ENDPOINT: what" for error messages.
inline void rpc_message(std::string* message, std::string_view endpoint, const std::string& what) {
    if (message) *message = std::string(endpoint) + ": " + what;
}

/// The name of a command in messages.
[[nodiscard]] constexpr std::string_view rpc_command_name(rpc::command c) noexcept {
    switch (c) {
        case rpc::command::hello: return "HELLO";
        case rpc::command::device_count: return "DEVICE_COUNT";
        case rpc::command::get_device_memory: return "GET_DEVICE_MEMORY";
        case rpc::command::get_alignment: return "GET_ALIGNMENT";
        case rpc::command::get_max_size: return "GET_MAX_SIZE";
    }
    return "?";
}

#if defined(__unix__) || defined(__APPLE__)
using rpc_clock = std::chrono::steady_clock;

/// Milliseconds until `deadline` for poll(), rounded up, 0 when past.
[[nodiscard]] inline int rpc_ms_left(rpc_clock::time_point deadline) noexcept {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - rpc_clock::now()).count();
    return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, INT_MAX));
}

/// Closes a socket when it goes out of scope: with a reset (SO_LINGER 0) unless every request was answered.
/// rpc-server writes without MSG_NOSIGNAL and does not ignore SIGPIPE (transport.cpp socket_t::impl::send_data),
/// so when it later answers a request of a client that closed normally, its second write raises SIGPIPE and kills
/// it (measured: exit status 141 with llama.cpp 3f545bec). That is what a busy worker would do with a HELLO the
/// probe gave up on. After a reset the kernel holds ECONNRESET for the socket, and its first write fails with that
/// error instead of a signal.
struct rpc_socket {
    int fd = -1;
    bool answered = false;  ///< every request sent was answered: a normal close is safe
    rpc_socket() = default;
    rpc_socket(const rpc_socket&) = delete;
    rpc_socket& operator=(const rpc_socket&) = delete;
    ~rpc_socket() {
        if (fd < 0) return;
        if (!answered) {
            linger l{};
            l.l_onoff = 1;
            l.l_linger = 0;
            (void)::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
        }
        ::close(fd);
    }
};

/// How one transfer ended.
enum class rpc_io { ok, timeout, closed, failed };

/// Waits for `events` on `fd` until `deadline`.
[[nodiscard]] inline rpc_io rpc_wait(int fd, short events, rpc_clock::time_point deadline) noexcept {
    for (;;) {
        pollfd p{fd, events, 0};
        const int n = ::poll(&p, 1, rpc_ms_left(deadline));
        if (n > 0) return rpc_io::ok;  // readable, writable, or an error/hang-up the next call reports
        if (n == 0) return rpc_io::timeout;
        if (errno != EINTR) return rpc_io::failed;
    }
}

/// Sends all of `bytes` before `deadline`.
[[nodiscard]] inline rpc_io rpc_send_all(int fd, std::span<const std::uint8_t> bytes, rpc_clock::time_point deadline) noexcept {
#if defined(MSG_NOSIGNAL)
    constexpr int flags = MSG_NOSIGNAL;  // a closed peer must not raise SIGPIPE
#else
    constexpr int flags = 0;  // macOS: SO_NOSIGPIPE is set on the socket
#endif
    std::size_t sent = 0;
    while (sent < bytes.size()) {
        const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, flags);
        if (n > 0) {
            sent += static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (const rpc_io w = rpc_wait(fd, POLLOUT, deadline); w != rpc_io::ok) return w;
            continue;
        }
        return (n < 0 && (errno == EPIPE || errno == ECONNRESET)) ? rpc_io::closed : rpc_io::failed;
    }
    return rpc_io::ok;
}

/// Receives exactly `out.size()` bytes before `deadline`.
[[nodiscard]] inline rpc_io rpc_recv_all(int fd, std::span<std::uint8_t> out, rpc_clock::time_point deadline) noexcept {
    std::size_t got = 0;
    while (got < out.size()) {
        if (const rpc_io w = rpc_wait(fd, POLLIN, deadline); w != rpc_io::ok) return w;
        const ssize_t n = ::recv(fd, out.data() + got, out.size() - got, 0);
        if (n > 0) {
            got += static_cast<std::size_t>(n);
            continue;
        }
        if (n == 0) return rpc_io::closed;
        if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
        return errno == ECONNRESET ? rpc_io::closed : rpc_io::failed;
    }
    return rpc_io::ok;
}

/// One question: sends `rq`, reads the reply to `c` into `reply` (size field checked before the payload is read).
/// On failure returns false and sets `what` to the reason (without the endpoint).
/// The reply waits at most `timeout`, and never past `budget_end` (the whole probe's deadline).
[[nodiscard]] inline bool rpc_exchange(int fd, const rpc::request& rq, rpc::command c, std::array<std::uint8_t, 64>& reply,
                                       std::chrono::milliseconds timeout, rpc_clock::time_point budget_end,
                                       std::string_view subject, std::string& what) {
    const auto own = rpc_clock::now() + timeout;
    const bool budget_first = budget_end < own;
    const auto deadline = budget_first ? budget_end : own;
    const std::string name = std::string(rpc_command_name(c)) + std::string(subject);
    const auto describe = [&](rpc_io r, std::string_view stage) {
        if (r == rpc_io::timeout && budget_first && c != rpc::command::hello)
            return "no reply to " + name + " before the probe's total time budget ran out (the worker answers too slowly)";
        const std::string ms = std::to_string(timeout.count()) + " ms";
        if (c == rpc::command::hello) {
            if (r == rpc_io::timeout)
                return "no reply to HELLO within " + ms + ": worker busy (serving another client) or not an rpc-server";
            if (r == rpc_io::closed)
                return std::string("closed the connection without answering HELLO: an rpc-server of another protocol "
                                   "version, or not an rpc-server");
        }
        if (r == rpc_io::timeout) return "no reply to " + name + " within " + ms;
        if (r == rpc_io::closed) return "closed the connection " + std::string(stage) + " " + name + " (the worker refused the request)";
        return std::string(stage) + " " + name + " failed: " + std::strerror(errno);
    };
    if (const rpc_io s = rpc_send_all(fd, rq.bytes(), deadline); s != rpc_io::ok) {
        what = describe(s, "while sending");
        return false;
    }
    const std::span<std::uint8_t> header(reply.data(), rpc::reply_header_size);
    if (const rpc_io r = rpc_recv_all(fd, header, deadline); r != rpc_io::ok) {
        what = describe(r, "while reading the reply to");
        return false;
    }
    if (auto h = rpc::check_reply_header(c, header); !h) {
        what = "the reply to " + name + " declares " + std::to_string(h.error().where) + " bytes, expected " +
               std::to_string(rpc::reply_payload_size(c)) + ": not an rpc-server of protocol " +
               std::to_string(rpc::proto_major) + ".x";
        return false;
    }
    const std::span<std::uint8_t> body(reply.data() + rpc::reply_header_size, rpc::reply_payload_size(c));
    if (const rpc_io r = rpc_recv_all(fd, body, deadline); r != rpc_io::ok) {
        what = describe(r, "in the middle of the reply to");
        return false;
    }
    return true;
}

/// Connects to one resolved address within `timeout`; returns the socket or -1 with `err` set (0 = timed out).
[[nodiscard]] inline int rpc_connect_one(const addrinfo& a, std::chrono::milliseconds timeout, int& err) noexcept {
    const int fd = ::socket(a.ai_family, a.ai_socktype, a.ai_protocol);
    if (fd < 0) {
        err = errno;
        return -1;
    }
    const int fl = ::fcntl(fd, F_GETFL, 0);
    const bool setup = fl >= 0 && ::fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0 && ::fcntl(fd, F_SETFD, FD_CLOEXEC) == 0;
    int one = 1;
    (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // as llama.cpp's set_no_delay
#if defined(SO_NOSIGPIPE)
    (void)::setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
    if (!setup) {
        err = errno;
        ::close(fd);
        return -1;
    }
    int rc = 0;
    do rc = ::connect(fd, a.ai_addr, a.ai_addrlen);
    while (rc < 0 && errno == EINTR);
    if (rc == 0) return fd;
    if (errno != EINPROGRESS) {
        err = errno;
        ::close(fd);
        return -1;
    }
    const rpc_io w = rpc_wait(fd, POLLOUT, rpc_clock::now() + timeout);
    if (w != rpc_io::ok) {
        err = w == rpc_io::timeout ? 0 : errno;
        ::close(fd);
        return -1;
    }
    int so = 0;
    socklen_t len = sizeof so;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &len) != 0) so = errno;
    if (so != 0) {
        err = so;
        ::close(fd);
        return -1;
    }
    return fd;
}
#endif

}  // namespace detail

/// Asks the rpc-server at `endpoint` ("HOST:PORT", "[IPV6]:PORT") for its protocol version and, per device, its
/// free and total memory, alignment and maximum buffer size: one connection, one round trip per question (HELLO,
/// DEVICE_COUNT, then GET_DEVICE_MEMORY, GET_ALIGNMENT, GET_MAX_SIZE per device), as llama.cpp's client asks them.
/// Every wait is bounded by `t` (at most t.connect per address tried, at most 8 addresses, then t.total); memory is bounded (at most LLAMAPLAN_MAX_DEVICES devices, fixed-size replies).
/// An rpc-server serves one client at a time: while it serves another, it accepts the connection but does not
/// answer HELLO, which is reported as such. On error, `message` (when given) receives "ENDPOINT: what".
[[nodiscard]] inline result<rpc_worker> probe_rpc_worker(std::string_view endpoint, const rpc_timeouts& t = {},
                                                         std::string* message = nullptr) {
    auto parts = rpc::parse_endpoint(endpoint);
    if (!parts) {
        detail::rpc_message(message, endpoint, std::string(parts.error().what));
        return parts.error();
    }
#if defined(__unix__) || defined(__APPLE__)
    using detail::rpc_clock;
    const auto start = rpc_clock::now();
    const std::string host(parts->host);
    const std::string port = std::to_string(parts->port);
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_family = parts->ipv6 ? AF_INET6 : AF_UNSPEC;
    hints.ai_flags = AI_NUMERICSERV | AI_NUMERICHOST;  // a literal first: never touches the resolver
    addrinfo* list = nullptr;
    int gai = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &list);
    if (gai != 0 && !parts->ipv6) {
        hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
        gai = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &list);
    }
    if (gai != 0 || !list) {
        detail::rpc_message(message, endpoint, "cannot resolve host '" + host + "' (" + ::gai_strerror(gai) + ")");
        return make_error(errc::not_found, "cannot resolve the worker's host", 0);
    }
    detail::rpc_socket sock;
    int err = 0, tried = 0;
    for (const addrinfo* a = list; a && tried < 8 && sock.fd < 0; a = a->ai_next, ++tried)
        sock.fd = detail::rpc_connect_one(*a, t.connect, err);
    ::freeaddrinfo(list);
    if (sock.fd < 0) {
        if (err == ECONNREFUSED) {
            detail::rpc_message(message, endpoint, "connection refused (no rpc-server listens there)");
            return make_error(errc::not_found, "connection to the worker refused", 0);
        }
        detail::rpc_message(message, endpoint, err == 0 ? "no TCP connection within " + std::to_string(t.connect.count()) +
                                                              " ms (host down, unreachable or filtered)"
                                                        : std::string("cannot connect: ") + std::strerror(err));
        return make_error(errc::io_error, "cannot connect to the worker", 0);
    }

    rpc_worker w;
    w.endpoint = std::string(endpoint);
    std::array<std::uint8_t, 64> reply{};
    std::string what;
    const auto fail = [&](errc code, std::string_view short_what) {
        detail::rpc_message(message, endpoint, what);
        return make_error(code, short_what, w.round_trips);
    };
    const auto budget_end = rpc_clock::now() + t.total;
    const auto ask = [&](const rpc::request& rq, rpc::command c, std::string_view subject) {
        const bool ok = detail::rpc_exchange(sock.fd, rq, c, reply, t.reply, budget_end, subject, what);
        if (ok) ++w.round_trips;
        return ok;
    };
    const auto whole = [&](rpc::command c) { return std::span<const std::uint8_t>(reply.data(), rpc::reply_size(c)); };
    const auto v = [](rpc::version x) {
        return std::to_string(x.major) + "." + std::to_string(x.minor) + "." + std::to_string(x.patch);
    };

    // HELLO first: rpc_serve_client answers nothing else before it (ggml-rpc.cpp)
    if (!ask(rpc::encode_hello(), rpc::command::hello, "")) return fail(errc::io_error, "the worker did not answer HELLO");
    auto hello = rpc::decode_hello(whole(rpc::command::hello));
    if (!hello) {
        what = "bad reply to HELLO: " + std::string(hello.error().what);
        return fail(hello.error().code, hello.error().what);
    }
    w.version = *hello;
    if (auto ok = rpc::check_version(*hello); !ok) {
        // llama.cpp's negotiate_hello: "RPC server version mismatch"
        what = "rpc-server speaks RPC protocol " + v(*hello) + ", llamaplan speaks " + v({rpc::proto_major, rpc::proto_minor, rpc::proto_patch}) +
               " (the major versions must match and the server's minor must not be newer, as llama.cpp requires)";
        return fail(errc::unsupported_version, ok.error().what);
    }
    if (!ask(rpc::encode_device_count(), rpc::command::device_count, "")) return fail(errc::io_error, "the worker did not answer DEVICE_COUNT");
    auto count = rpc::decode_device_count(whole(rpc::command::device_count));
    if (!count) {
        what = "bad reply to DEVICE_COUNT: " + std::string(count.error().what) + " (" + std::to_string(count.error().where) + ")";
        return fail(count.error().code, count.error().what);
    }
    w.devices.reserve(*count);
    for (std::uint32_t i = 0; i < *count; ++i) {
        const std::string subject = " for device " + std::to_string(i);
        rpc_device_report d;
        if (!ask(rpc::encode_get_device_memory(i), rpc::command::get_device_memory, subject))
            return fail(errc::io_error, "the worker did not answer GET_DEVICE_MEMORY");
        auto mem = rpc::decode_device_memory(whole(rpc::command::get_device_memory));
        if (!mem) {
            what = "bad reply to GET_DEVICE_MEMORY" + subject + ": " + std::string(mem.error().what);
            return fail(mem.error().code, mem.error().what);
        }
        if (!ask(rpc::encode_get_alignment(i), rpc::command::get_alignment, subject))
            return fail(errc::io_error, "the worker did not answer GET_ALIGNMENT");
        auto align = rpc::decode_alignment(whole(rpc::command::get_alignment));
        if (!align) {
            what = "bad reply to GET_ALIGNMENT" + subject + ": " + std::string(align.error().what) + " (" + std::to_string(align.error().where) + ")";
            return fail(align.error().code, align.error().what);
        }
        if (!ask(rpc::encode_get_max_size(i), rpc::command::get_max_size, subject))
            return fail(errc::io_error, "the worker did not answer GET_MAX_SIZE");
        auto max = rpc::decode_max_size(whole(rpc::command::get_max_size));
        if (!max) {
            what = "bad reply to GET_MAX_SIZE" + subject + ": " + std::string(max.error().what);
            return fail(max.error().code, max.error().what);
        }
        d.memory_free = mem->free;
        d.memory_total = mem->total;
        d.alignment = *align;
        d.max_size = *max;
        w.devices.push_back(d);
    }
    sock.answered = true;
    w.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(rpc_clock::now() - start);
    return w;
#else
    (void)t;
    detail::rpc_message(message, endpoint, "probing rpc-server workers needs POSIX sockets");
    return make_error(errc::unsupported, "no socket layer on this platform", 0);
#endif
}

/// The worker's devices as llamaplan::device entries, in its order: memory from the worker, `endpoint` =
/// w.endpoint, alignment and max_buffer as reported (max_buffer 2^64 - 1 = no limit). Without `worker_machine` a
/// device is backend::other and named by its endpoint (llama.cpp describes an RPC device by its endpoint:
/// ggml_backend_rpc_add_server). With the worker's machine file (`llamaplan specs --save` run on the worker), its
/// devices give, in order, the kind, name, bandwidth, FLOP/s, INT8 op/s, compute capability and unified-memory
/// flag (rpc-server serves every accelerator, in ggml's order, when started without -d: rpc-server.cpp
/// get_devices); a file without devices stands for a worker serving its CPU alone (rpc-server's fallback): kind
/// backend::cpu, name "CPU", the host's bandwidth and FLOP/s. The views point into `w` and `worker_machine`:
/// valid while both live unchanged. A device count the file does not match is an error (`message` says why).
[[nodiscard]] inline result<std::vector<device>> rpc_worker_devices(const rpc_worker& w, const probe_result* worker_machine = nullptr,
                                                                    std::string* message = nullptr) {
    if (worker_machine) {
        const std::size_t listed = worker_machine->devices.size();
        if (listed == 0 ? w.devices.size() != 1 : listed != w.devices.size()) {
            detail::rpc_message(message, w.endpoint,
                                "the worker serves " + std::to_string(w.devices.size()) + " device(s) but its machine file lists " +
                                    (listed == 0 ? std::string("only a CPU (one device)") : std::to_string(listed)) +
                                    " (was rpc-server started with -d?)");
            return make_error(errc::invalid_argument, "the worker's device count does not match its machine file", w.devices.size());
        }
    }
    std::vector<device> out;
    out.reserve(w.devices.size());
    for (std::size_t i = 0; i < w.devices.size(); ++i) {
        const rpc_device_report& r = w.devices[i];
        device d;
        d.name = w.endpoint;
        d.kind = backend::other;
        if (worker_machine) {
            if (worker_machine->devices.empty()) {
                d.kind = backend::cpu;
                d.name = "CPU";
                d.bandwidth = worker_machine->host.bandwidth;
                d.flops = worker_machine->host.flops;
            } else {
                const device_record& f = worker_machine->devices[i];
                d.kind = f.info.kind;
                d.name = f.name;
                d.bandwidth = f.info.bandwidth;
                d.flops = f.info.flops;
                d.int8_ops = f.info.int8_ops;
                d.compute_major = f.info.compute_major;
                d.compute_minor = f.info.compute_minor;
                d.unified_memory = f.info.unified_memory;
            }
        }
        d.memory_total = r.memory_total;
        d.memory_free = r.memory_free;
        d.endpoint = w.endpoint;
        d.alignment = r.alignment;
        d.max_buffer = r.max_size;
        out.push_back(d);
    }
    return out;
}

/// One probed worker as JSON: {"endpoint", "ok": true, "version": "5.1.0", "round_trips", "elapsed_us",
/// "devices": [{"index", "memory_total", "memory_free", "alignment", "max_size"}]} (sizes in bytes).
[[nodiscard]] inline json::value rpc_worker_to_json_value(const rpc_worker& w) {
    using json::value;
    value o = value::make_object();
    o.set("endpoint", value::make_string(w.endpoint));
    o.set("ok", value::make_bool(true));
    o.set("version", value::make_string(std::to_string(w.version.major) + "." + std::to_string(w.version.minor) + "." +
                                        std::to_string(w.version.patch)));
    o.set("round_trips", value::make_u64(w.round_trips));
    o.set("elapsed_us", value::make_u64(static_cast<std::uint64_t>(w.elapsed.count())));
    value& ds = o.set("devices", value::make_array());
    for (std::size_t i = 0; i < w.devices.size(); ++i) {
        value& d = ds.push(value::make_object());
        d.set("index", value::make_u64(i));
        d.set("memory_total", value::make_u64(w.devices[i].memory_total));
        d.set("memory_free", value::make_u64(w.devices[i].memory_free));
        d.set("alignment", value::make_u64(w.devices[i].alignment));
        d.set("max_size", value::make_u64(w.devices[i].max_size));
    }
    return o;
}

/// A worker that could not be probed, as JSON: {"endpoint", "ok": false, "error": message}.
[[nodiscard]] inline json::value rpc_failure_to_json_value(std::string_view endpoint, std::string_view message) {
    using json::value;
    value o = value::make_object();
    o.set("endpoint", value::make_string(endpoint));
    o.set("ok", value::make_bool(false));
    o.set("error", value::make_string(message));
    return o;
}

/// Splits a comma-separated worker list ("h1:50052,h2:50052", as llama-server's --rpc) into addresses; empty
/// items are an error. At most LLAMAPLAN_MAX_DEVICES workers (llama.cpp: GGML_RPC_MAX_SERVERS = 16).
[[nodiscard]] inline result<std::vector<std::string>> split_rpc_list(std::string_view list) {
    std::vector<std::string> out;
    std::size_t at = 0;
    for (;;) {
        const std::size_t comma = list.find(',', at);
        const std::string_view item = list.substr(at, comma == std::string_view::npos ? std::string_view::npos : comma - at);
        if (item.empty()) return make_error(errc::invalid_argument, "empty worker address in the --rpc list", at);
        if (out.size() >= LLAMAPLAN_MAX_DEVICES) return make_error(errc::capacity_exceeded, "more workers than LLAMAPLAN_MAX_DEVICES", at);
        out.emplace_back(item);
        if (comma == std::string_view::npos) break;
        at = comma + 1;
    }
    return out;
}

}  // namespace llamaplan::probe

#endif  // LLAMAPLAN_PROBE_RPC_HPP
