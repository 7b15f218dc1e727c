// libFuzzer harness: every text parser of the probe adapter. Byte 0 chooses the parser; the rest is the text
// (nvidia-smi CSV and -L output, /proc/meminfo, /proc/self/cgroup, cgroup memory.max / cpu.max / cfs quota,
// /proc/cpuinfo, sysfs cpulists, an amdgpu sysfs card (one file per line), macOS sysctl output).
// Invariants beyond no crash: refusals carry a message; cpulists come out sorted, unique and within max_cpu_id;
// nvidia-smi memory figures are whole MiB; cgroup paths start with '/'.
#include "fuzz_check.hpp"

#include <llamaplan/probe/amd.hpp>
#include <llamaplan/probe/apple.hpp>
#include <llamaplan/probe/linux.hpp>
#include <llamaplan/probe/nvidia.hpp>
#include <llamaplan/probe/text.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

using namespace llamaplan;
using namespace llamaplan::probe;

namespace {
template <class R>
void check_refusal(const R& r) {
    if (!r) FUZZ_CHECK(r.error().code != errc::ok && !r.error().what.empty());
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
    switch (data[0] % 11) {
        case 0: {
            auto r = parse_nvidia_smi_csv(nvidia_smi_fields, text);
            check_refusal(r);
            if (r)
                for (const auto& g : *r) FUZZ_CHECK(g.memory_total % (1u << 20) == 0 && g.memory_used % (1u << 20) == 0);
            break;
        }
        case 1: check_refusal(parse_nvidia_smi_list(text)); break;
        case 2: check_refusal(parse_meminfo(text)); break;
        case 3: {
            auto r = parse_proc_cgroup(text);
            check_refusal(r);
            if (r)
                for (const auto& c : *r) FUZZ_CHECK(!c.path.empty() && c.path.front() == '/');
            break;
        }
        case 4: check_refusal(parse_memory_limit(text)); break;
        case 5: check_refusal(parse_cpu_max(text)); break;
        case 6: {
            const auto nl = text.find('\n');
            check_refusal(parse_cfs_quota(text.substr(0, nl), nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1)));
            break;
        }
        case 7: (void)parse_cpuinfo(text); break;
        case 8: {
            auto r = parse_cpulist(text);
            check_refusal(r);
            if (r)
                for (std::size_t i = 0; i < r->size(); ++i) {
                    FUZZ_CHECK((*r)[i] <= max_cpu_id);
                    if (i > 0) FUZZ_CHECK((*r)[i - 1] < (*r)[i]);
                }
            break;
        }
        case 9: {
            amd_card_files f;
            std::optional<std::string>* slots[] = {&f.vendor, &f.device, &f.product_name, &f.vram_total, &f.vram_used,
                                                   &f.gtt_total, &f.gtt_used, &f.link_speed, &f.link_width};
            std::size_t start = 0, k = 0;
            while (start <= text.size() && k < std::size(slots)) {
                const auto nl = text.find('\n', start);
                const auto end = nl == std::string_view::npos ? text.size() : nl;
                const std::string_view line = text.substr(start, end - start);
                if (line != "-") *slots[k] = std::string(line);  // "-" = file absent
                ++k;
                start = end + 1;
            }
            f.card = "card0";
            auto r = parse_amd_card(f);
            check_refusal(r);
            if (r) FUZZ_CHECK(!r->name.empty() && r->pcie_width <= 64);
            break;
        }
        case 10: check_refusal(parse_sysctl(text)); break;
    }
    return 0;
}
