// SPDX-License-Identifier: MIT
// llama.cpp's RPC protocol (ggml-rpc, protocol 5.1.0), the part a probe needs: encoding the requests that ask a
// `rpc-server` worker what devices it has, and decoding and validating its replies. Pure: no I/O, constexpr.
// The socket side is rpc.hpp.
//
// Wire format (ggml/src/ggml-rpc/ggml-rpc.cpp at llama.cpp 3f545bec):
//   request  = | command (1 byte) | payload size (8 bytes) | payload |          (send_rpc_cmd)
//   response = | payload size (8 bytes) | payload |                           (send_msg / the client's send_rpc_cmd)
// Sizes are a size_t / uint64_t written as raw memory, so little-endian on every host llama.cpp runs on; the
// structs are `#pragma pack(push, 1)`. The client must send RPC_CMD_HELLO first (rpc_serve_client closes the
// connection on any other first command or on a HELLO payload of another size) and then sends one command at a
// time, each answered before the next is read. On a bad request (a device index out of range, an unknown
// command) the server answers nothing and closes the connection.
#ifndef LLAMAPLAN_PROBE_RPC_PROTOCOL_HPP
#define LLAMAPLAN_PROBE_RPC_PROTOCOL_HPP

#include <llamaplan/config.hpp>
#include <llamaplan/result.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace llamaplan::inline LLAMAPLAN_ABI_TAG::probe::rpc {

/// The protocol version this code speaks (ggml/include/ggml-rpc.h RPC_PROTO_MAJOR/MINOR/PATCH_VERSION).
inline constexpr std::uint8_t proto_major = 5;
inline constexpr std::uint8_t proto_minor = 1;  ///< see proto_major
inline constexpr std::uint8_t proto_patch = 0;  ///< see proto_major

/// Command bytes (ggml-rpc.cpp `enum rpc_cmd`: RPC_CMD_ALLOC_BUFFER = 0, then one per line; HELLO is pinned at 14).
enum class command : std::uint8_t {
    get_alignment = 1,       ///< RPC_CMD_GET_ALIGNMENT
    get_max_size = 2,        ///< RPC_CMD_GET_MAX_SIZE
    get_device_memory = 11,  ///< RPC_CMD_GET_DEVICE_MEMORY
    hello = 14,              ///< RPC_CMD_HELLO (static_assert(RPC_CMD_HELLO == 14) in ggml-rpc.cpp)
    device_count = 15,       ///< RPC_CMD_DEVICE_COUNT
};

/// Size of the transport capabilities in HELLO (ggml-rpc/transport.h RPC_CONN_CAPS_SIZE, bytes). A plain TCP
/// client sends zeros (socket_t::impl::get_caps without GGML_RPC_RDMA), which also declines any RDMA upgrade.
inline constexpr std::size_t conn_caps_size = 24;
/// Bytes before a request's payload: the command byte and the 8-byte payload size.
inline constexpr std::size_t request_header_size = 9;
/// Bytes before a reply's payload: its 8-byte size.
inline constexpr std::size_t reply_header_size = 8;
/// The largest request encoded here (HELLO: header + conn_caps, bytes).
inline constexpr std::size_t max_request_size = request_header_size + conn_caps_size;

/// The payload size of a command's reply (bytes): rpc_msg_hello_rsp (major, minor, patch, padding, conn_caps) = 28,
/// rpc_msg_device_count_rsp (uint32 device_count) = 4, rpc_msg_get_device_memory_rsp (uint64 free_mem, total_mem) =
/// 16, rpc_msg_get_alignment_rsp / rpc_msg_get_max_size_rsp (uint64) = 8.
[[nodiscard]] constexpr std::size_t reply_payload_size(command c) noexcept {
    switch (c) {
        case command::hello: return 4 + conn_caps_size;
        case command::device_count: return 4;
        case command::get_device_memory: return 16;
        case command::get_alignment:
        case command::get_max_size: return 8;
    }
    return 0;
}
/// The whole reply of a command (size field + payload, bytes).
[[nodiscard]] constexpr std::size_t reply_size(command c) noexcept { return reply_header_size + reply_payload_size(c); }

/// One encoded request (at most max_request_size bytes).
struct request {
    std::array<std::uint8_t, max_request_size> data{};  ///< the bytes; only the first `size` are sent
    std::size_t size = 0;                               ///< bytes used
    /// The bytes to send.
    [[nodiscard]] constexpr std::span<const std::uint8_t> bytes() const noexcept { return {data.data(), size}; }
};

namespace detail {
constexpr void put_le(std::uint8_t* p, std::uint64_t v, std::size_t n) noexcept {
    for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
constexpr std::uint64_t get_le(std::span<const std::uint8_t> b, std::size_t at, std::size_t n) noexcept {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v |= std::uint64_t{b[at + i]} << (8 * i);
    return v;
}
/// A request: the command byte, the payload size, then `payload_size` bytes (zeros, then `device` when asked).
constexpr request make_request(command c, std::size_t payload_size, bool with_device, std::uint32_t device) noexcept {
    request r;
    r.data[0] = static_cast<std::uint8_t>(c);
    put_le(r.data.data() + 1, payload_size, 8);
    if (with_device) put_le(r.data.data() + request_header_size, device, 4);
    r.size = request_header_size + payload_size;
    return r;
}
}  // namespace detail

/// RPC_CMD_HELLO: rpc_msg_hello_req is conn_caps[24]; zeros (plain TCP, no transport upgrade). negotiate_hello.
[[nodiscard]] constexpr request encode_hello() noexcept { return detail::make_request(command::hello, conn_caps_size, false, 0); }
/// RPC_CMD_DEVICE_COUNT: an empty payload (ggml_backend_rpc_get_device_count sends nullptr, 0).
[[nodiscard]] constexpr request encode_device_count() noexcept { return detail::make_request(command::device_count, 0, false, 0); }
/// RPC_CMD_GET_DEVICE_MEMORY: rpc_msg_get_device_memory_req {uint32 device} (get_device_memory).
[[nodiscard]] constexpr request encode_get_device_memory(std::uint32_t device) noexcept {
    return detail::make_request(command::get_device_memory, 4, true, device);
}
/// RPC_CMD_GET_ALIGNMENT: rpc_msg_get_alignment_req {uint32 device} (get_alignment).
[[nodiscard]] constexpr request encode_get_alignment(std::uint32_t device) noexcept {
    return detail::make_request(command::get_alignment, 4, true, device);
}
/// RPC_CMD_GET_MAX_SIZE: rpc_msg_get_max_size_req {uint32 device} (get_max_size).
[[nodiscard]] constexpr request encode_get_max_size(std::uint32_t device) noexcept {
    return detail::make_request(command::get_max_size, 4, true, device);
}

/// An RPC protocol version (rpc_msg_hello_rsp major, minor, patch).
struct version {
    std::uint8_t major = 0;  ///< must equal proto_major
    std::uint8_t minor = 0;  ///< must not exceed proto_minor
    std::uint8_t patch = 0;  ///< informational
    friend constexpr bool operator==(const version&, const version&) = default;
};

/// What GET_DEVICE_MEMORY answers for one device (bytes).
struct device_memory {
    std::uint64_t free = 0;   ///< free memory (bytes; the CPU backend reports all of it free)
    std::uint64_t total = 0;  ///< total memory (bytes)
    friend constexpr bool operator==(const device_memory&, const device_memory&) = default;
};

/// Largest memory figure accepted from a worker (bytes; 2^62, the machine file's bound).
inline constexpr std::uint64_t max_memory = std::uint64_t{1} << 62;
/// Largest alignment accepted from a worker (bytes).
inline constexpr std::uint64_t max_alignment = std::uint64_t{1} << 30;

/// Checks a reply's 8-byte size field (the first reply_header_size bytes) against what `c` answers, before its
/// payload is read: a worker that declares another size is not speaking this protocol (send_rpc_cmd refuses it too).
[[nodiscard]] constexpr result<std::uint64_t> check_reply_header(command c, std::span<const std::uint8_t> header) noexcept {
    if (header.size() < reply_header_size) return make_error(errc::truncated, "reply shorter than its 8-byte size field", header.size());
    const std::uint64_t declared = detail::get_le(header, 0, 8);
    if (declared != reply_payload_size(c))
        return make_error(errc::invalid_argument, "reply size field does not match the command's reply size (not an rpc-server of this protocol)", declared);
    return declared;
}

namespace detail {
/// The payload of a whole reply to `c`, after checking its length and its size field.
constexpr result<std::span<const std::uint8_t>> payload(command c, std::span<const std::uint8_t> reply) noexcept {
    auto h = check_reply_header(c, reply);
    if (!h) return h.error();
    if (reply.size() < reply_size(c)) return make_error(errc::truncated, "reply ends before its payload", reply.size());
    if (reply.size() > reply_size(c)) return make_error(errc::overflow, "reply longer than the command's reply", reply.size());
    return reply.subspan(reply_header_size);
}
}  // namespace detail

/// Decodes the whole reply to HELLO (size field + rpc_msg_hello_rsp). The version is not judged here: check_version.
[[nodiscard]] constexpr result<version> decode_hello(std::span<const std::uint8_t> reply) noexcept {
    auto p = detail::payload(command::hello, reply);
    if (!p) return p.error();
    return version{(*p)[0], (*p)[1], (*p)[2]};
}

/// llama.cpp's rule (negotiate_hello): the server's major must equal ours and its minor must not be newer.
[[nodiscard]] constexpr result<version> check_version(version v) noexcept {
    if (v.major != proto_major) return make_error(errc::unsupported_version, "RPC protocol major version differs", v.major);
    if (v.minor > proto_minor) return make_error(errc::unsupported_version, "RPC protocol minor version is newer than this code knows", v.minor);
    return v;
}

/// Decodes the whole reply to DEVICE_COUNT; 1..LLAMAPLAN_MAX_DEVICES devices (an rpc-server never serves none:
/// rpc-server.cpp exits with "No devices found").
[[nodiscard]] constexpr result<std::uint32_t> decode_device_count(std::span<const std::uint8_t> reply) noexcept {
    auto p = detail::payload(command::device_count, reply);
    if (!p) return p.error();
    const auto n = static_cast<std::uint32_t>(detail::get_le(*p, 0, 4));
    if (n == 0) return make_error(errc::invalid_argument, "worker reports no devices", 0);
    if (n > LLAMAPLAN_MAX_DEVICES) return make_error(errc::capacity_exceeded, "worker reports more devices than LLAMAPLAN_MAX_DEVICES", n);
    return n;
}

/// Decodes the whole reply to GET_DEVICE_MEMORY; free <= total <= max_memory.
[[nodiscard]] constexpr result<device_memory> decode_device_memory(std::span<const std::uint8_t> reply) noexcept {
    auto p = detail::payload(command::get_device_memory, reply);
    if (!p) return p.error();
    const device_memory m{detail::get_le(*p, 0, 8), detail::get_le(*p, 8, 8)};
    if (m.total > max_memory) return make_error(errc::overflow, "device total memory beyond 2^62 bytes", m.total);
    if (m.free > m.total) return make_error(errc::invalid_argument, "device free memory exceeds its total", m.free);
    return m;
}

/// Decodes the whole reply to GET_ALIGNMENT; a power of two up to max_alignment (bytes).
[[nodiscard]] constexpr result<std::uint64_t> decode_alignment(std::span<const std::uint8_t> reply) noexcept {
    auto p = detail::payload(command::get_alignment, reply);
    if (!p) return p.error();
    const std::uint64_t a = detail::get_le(*p, 0, 8);
    if (a == 0 || (a & (a - 1)) != 0) return make_error(errc::invalid_argument, "device alignment is not a power of two", a);
    if (a > max_alignment) return make_error(errc::overflow, "device alignment beyond 1 GiB", a);
    return a;
}

/// Decodes the whole reply to GET_MAX_SIZE (bytes); non-zero. SIZE_MAX (2^64 - 1 on 64-bit workers) is what
/// ggml_backend_buft_get_max_size returns for a buffer type without a limit (the CPU's), and is kept as is.
[[nodiscard]] constexpr result<std::uint64_t> decode_max_size(std::span<const std::uint8_t> reply) noexcept {
    auto p = detail::payload(command::get_max_size, reply);
    if (!p) return p.error();
    const std::uint64_t s = detail::get_le(*p, 0, 8);
    if (s == 0) return make_error(errc::invalid_argument, "device maximum buffer size is 0", 0);
    return s;
}

/// A worker address split into host and port.
struct endpoint_parts {
    std::string_view host{};  ///< name, IPv4 literal, or IPv6 literal without its brackets
    std::uint16_t port = 0;   ///< TCP port, 1..65535
    bool ipv6 = false;        ///< the host was a bracketed IPv6 literal
};

/// Splits "HOST:PORT", "[IPV6]:PORT" (an IPv6 literal must be bracketed: "::1:50052" is ambiguous). llama.cpp's own
/// parse_endpoint splits at the first ':' and connects over IPv4 only (transport.cpp socket_t::connect).
[[nodiscard]] constexpr result<endpoint_parts> parse_endpoint(std::string_view s) noexcept {
    if (s.empty()) return make_error(errc::invalid_argument, "empty worker address (expected HOST:PORT)", 0);
    if (s.size() > 300) return make_error(errc::overflow, "worker address too long", s.size());
    endpoint_parts e;
    std::size_t colon = 0;
    if (s.front() == '[') {
        const std::size_t close = s.find(']');
        if (close == std::string_view::npos) return make_error(errc::invalid_argument, "'[' without ']' in worker address", 0);
        e.host = s.substr(1, close - 1);
        e.ipv6 = true;
        if (close + 1 >= s.size() || s[close + 1] != ':') return make_error(errc::invalid_argument, "worker address has no port (expected [IPV6]:PORT)", close + 1);
        colon = close + 1;
        for (char c : e.host)
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.'))
                return make_error(errc::invalid_argument, "not an IPv6 address between '[' and ']'", 1);
    } else {
        colon = s.find(':');
        if (colon == std::string_view::npos) return make_error(errc::invalid_argument, "worker address has no port (expected HOST:PORT)", s.size());
        if (s.find(':', colon + 1) != std::string_view::npos)
            return make_error(errc::invalid_argument, "an IPv6 worker address must be bracketed: [IPV6]:PORT", colon);
        e.host = s.substr(0, colon);
        for (char c : e.host)
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' || c == '-' || c == '_'))
                return make_error(errc::invalid_argument, "worker host name has a character outside [A-Za-z0-9._-]", 0);
    }
    if (e.host.empty()) return make_error(errc::invalid_argument, "worker address has an empty host", 0);
    const std::string_view port = s.substr(colon + 1);
    if (port.empty() || port.size() > 5) return make_error(errc::invalid_argument, "worker port is not a number in 1..65535", colon + 1);
    std::uint32_t p = 0;
    for (char c : port) {
        if (c < '0' || c > '9') return make_error(errc::invalid_argument, "worker port is not a number in 1..65535", colon + 1);
        p = p * 10 + static_cast<std::uint32_t>(c - '0');
    }
    if (p == 0 || p > 65535) return make_error(errc::invalid_argument, "worker port is not a number in 1..65535", colon + 1);
    e.port = static_cast<std::uint16_t>(p);
    return e;
}

}  // namespace llamaplan::probe::rpc

#endif  // LLAMAPLAN_PROBE_RPC_PROTOCOL_HPP
