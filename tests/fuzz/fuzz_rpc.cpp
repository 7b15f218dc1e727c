// libFuzzer harness: the rpc-server reply decoder and worker-address parser (adapters/probe rpc_protocol.hpp).
// The first byte picks the command whose reply the rest is. Invariants: an accepted reply has exactly the
// command's reply size and a size field that check_reply_header accepts, and its figures lie in the decoder's
// bounds; an accepted address has a host and a port in 1..65535; a refusal carries a message.
#include "fuzz_check.hpp"

#include <llamaplan/probe/rpc_protocol.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

using namespace llamaplan::probe;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::span<const std::uint8_t> reply(data + 1, size - 1);
    constexpr rpc::command commands[5] = {rpc::command::hello, rpc::command::device_count, rpc::command::get_device_memory,
                                          rpc::command::get_alignment, rpc::command::get_max_size};
    const rpc::command c = commands[data[0] % 5];
    const auto header = rpc::check_reply_header(c, reply);
    bool accepted = false;
    llamaplan::error err{};
    switch (c) {
        case rpc::command::hello:
            if (auto v = rpc::decode_hello(reply)) {
                accepted = true;
                FUZZ_CHECK(v->major == reply[8] && v->minor == reply[9] && v->patch == reply[10]);
                if (auto ok = rpc::check_version(*v)) FUZZ_CHECK(v->major == rpc::proto_major && v->minor <= rpc::proto_minor);
                else FUZZ_CHECK(!ok.error().what.empty());
            } else err = v.error();
            break;
        case rpc::command::device_count:
            if (auto n = rpc::decode_device_count(reply)) {
                accepted = true;
                FUZZ_CHECK(*n >= 1 && *n <= LLAMAPLAN_MAX_DEVICES);
            } else err = n.error();
            break;
        case rpc::command::get_device_memory:
            if (auto m = rpc::decode_device_memory(reply)) {
                accepted = true;
                FUZZ_CHECK(m->free <= m->total && m->total <= rpc::max_memory);
            } else err = m.error();
            break;
        case rpc::command::get_alignment:
            if (auto a = rpc::decode_alignment(reply)) {
                accepted = true;
                FUZZ_CHECK(*a != 0 && (*a & (*a - 1)) == 0 && *a <= rpc::max_alignment);
            } else err = a.error();
            break;
        case rpc::command::get_max_size:
            if (auto s = rpc::decode_max_size(reply)) {
                accepted = true;
                FUZZ_CHECK(*s != 0);
            } else err = s.error();
            break;
    }
    if (accepted) {
        FUZZ_CHECK(reply.size() == rpc::reply_size(c));
        FUZZ_CHECK(header.has_value() && *header == rpc::reply_payload_size(c));
    } else {
        FUZZ_CHECK(!err.what.empty());
    }

    const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
    if (auto e = rpc::parse_endpoint(text)) {
        FUZZ_CHECK(!e->host.empty() && e->host.size() < text.size());
        FUZZ_CHECK(e->port >= 1);
    } else {
        FUZZ_CHECK(!e.error().what.empty());
    }
    return 0;
}
