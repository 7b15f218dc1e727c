// libFuzzer harness: the machine-file reader (adapters/probe machine_file.hpp) and the JSON parser under it.
// Invariants: an accepted document round-trips (dump -> parse -> dump is a fixed point), an accepted machine file
// re-reads to the same machine, and a refused one carries an error message.
#include "fuzz_check.hpp"

#include <llamaplan/probe/json.hpp>
#include <llamaplan/probe/machine_file.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

using namespace llamaplan;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    if (auto v = probe::json::parse(text)) {
        const std::string once = probe::json::dump(*v);
        auto again = probe::json::parse(once);
        FUZZ_CHECK(again.has_value());
        FUZZ_CHECK(probe::json::dump(*again) == once);
    } else {
        FUZZ_CHECK(!v.error().what.empty());
    }
    auto m = probe::machine_from_json(text);
    if (!m) {
        FUZZ_CHECK(!m.error().what.empty());
        return 0;
    }
    const std::string saved = probe::machine_to_json(*m);
    auto back = probe::machine_from_json(saved);
    FUZZ_CHECK(back.has_value());
    FUZZ_CHECK(probe::machine_to_json(*back) == saved);
    return 0;
}
