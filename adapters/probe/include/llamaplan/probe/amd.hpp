// SPDX-License-Identifier: MIT
// AMD GPUs from amdgpu's sysfs files (kernel Documentation/gpu/amdgpu/driver-misc.rst):
// /sys/class/drm/cardN/device/{vendor,device,product_name,mem_info_vram_total,mem_info_vram_used,
// mem_info_gtt_total,mem_info_gtt_used,current_link_speed,current_link_width}.
#ifndef LLAMAPLAN_PROBE_AMD_HPP
#define LLAMAPLAN_PROBE_AMD_HPP

#include <llamaplan/config.hpp>

#include <llamaplan/probe/bandwidth.hpp>
#include <llamaplan/probe/probe_result.hpp>
#include <llamaplan/probe/text.hpp>
#include <llamaplan/result.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace llamaplan::inline LLAMAPLAN_ABI_TAG::probe {

/// The raw contents of one card's sysfs files (nullopt = file absent).
struct amd_card_files {
    std::string card{};                          ///< "card0"
    std::optional<std::string> vendor{};         ///< "0x1002"
    std::optional<std::string> device{};         ///< PCI device id, "0x744c"
    std::optional<std::string> product_name{};   ///< FRU product name (server/pro boards only)
    std::optional<std::string> vram_total{};     ///< mem_info_vram_total (bytes)
    std::optional<std::string> vram_used{};      ///< mem_info_vram_used (bytes)
    std::optional<std::string> gtt_total{};      ///< mem_info_gtt_total (bytes)
    std::optional<std::string> gtt_used{};       ///< mem_info_gtt_used (bytes)
    std::optional<std::string> link_speed{};     ///< current_link_speed, "16.0 GT/s PCIe"
    std::optional<std::string> link_width{};     ///< current_link_width, "16"
};

/// What one AMD card looks like after parsing.
struct amd_card {
    std::string name{};               ///< product_name, a known device-id name, or "AMD GPU 1002:xxxx"
    std::uint32_t device_id = 0;      ///< PCI device id
    std::uint64_t vram_total = 0;     ///< bytes
    std::uint64_t vram_used = 0;      ///< bytes
    std::uint64_t gtt_total = 0;      ///< bytes (system RAM the GPU may map)
    std::uint64_t gtt_used = 0;       ///< bytes
    std::uint32_t pcie_generation = 0;  ///< from current_link_speed (GT/s -> generation)
    std::uint32_t pcie_width = 0;     ///< lanes
    bool apu = false;                 ///< integrated GPU sharing system RAM
};

/// A PCI device id with a name (and whether it is an APU).
struct amd_pci_name {
    std::uint32_t id;        ///< PCI device id (vendor 0x1002)
    std::string_view name;   ///< product or family name
    bool apu;                ///< integrated graphics
};

/// A few common AMD GPU ids (pci.ids, https://pci-ids.ucw.cz, vendor 1002). Several boards share one id,
/// so dGPU names are family names.
inline constexpr amd_pci_name amd_pci_names[] = {
    {0x744c, "AMD Radeon RX 7900 series (Navi 31)", false},
    {0x747e, "AMD Radeon RX 7700/7800 series (Navi 32)", false},
    {0x7480, "AMD Radeon RX 7600 series (Navi 33)", false},
    {0x73bf, "AMD Radeon RX 6800/6900 series (Navi 21)", false},
    {0x73df, "AMD Radeon RX 6700 series (Navi 22)", false},
    {0x7550, "AMD Radeon RX 9070 series (Navi 48)", false},
    {0x740c, "AMD Instinct MI250X/MI250", false},
    {0x740f, "AMD Instinct MI210", false},
    {0x74a1, "AMD Instinct MI300X", false},
    {0x15dd, "AMD Radeon Vega (Raven Ridge APU)", true},
    {0x15d8, "AMD Radeon Vega (Picasso APU)", true},
    {0x1636, "AMD Radeon Graphics (Renoir APU)", true},
    {0x1638, "AMD Radeon Graphics (Cezanne APU)", true},
    {0x164c, "AMD Radeon Graphics (Lucienne APU)", true},
    {0x15e7, "AMD Radeon Graphics (Barcelo APU)", true},
    {0x163f, "AMD Custom GPU 0405 (Van Gogh APU)", true},
    {0x1681, "AMD Radeon 680M (Rembrandt APU)", true},
    {0x164e, "AMD Radeon Graphics (Raphael iGPU)", true},
    {0x1506, "AMD Radeon 610M (Mendocino APU)", true},
    {0x15bf, "AMD Radeon 780M (Phoenix APU)", true},
    {0x15c8, "AMD Radeon 740M (Phoenix2 APU)", true},
    {0x150e, "AMD Radeon 890M (Strix Point APU)", true},
    {0x1586, "AMD Radeon 8060S (Strix Halo APU)", true},
};

namespace detail {
[[nodiscard]] inline bool parse_hex_id(std::string_view s, std::uint32_t& out) {
    s = trim(s);
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s.remove_prefix(2);
    if (s.empty() || s.size() > 8) return false;
    std::uint32_t v = 0;
    for (char c : s) {
        std::uint32_t d = 0;
        if (c >= '0' && c <= '9') d = static_cast<std::uint32_t>(c - '0');
        else if (c >= 'a' && c <= 'f') d = static_cast<std::uint32_t>(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') d = static_cast<std::uint32_t>(c - 'A' + 10);
        else return false;
        v = v * 16 + d;
    }
    out = v;
    return true;
}
}  // namespace detail

/// PCIe generation from a link speed in GT/s ("16.0 GT/s PCIe" -> 4); 0 when unknown.
[[nodiscard]] inline std::uint32_t pcie_generation_from_speed(std::string_view speed) {
    speed = trim(speed);
    const auto sp = speed.find(' ');
    double gts = 0;
    if (!parse_decimal(speed.substr(0, sp), gts)) return 0;
    if (gts >= 63) return 6;
    if (gts >= 31) return 5;
    if (gts >= 15) return 4;
    if (gts >= 7.9) return 3;
    if (gts >= 4.9) return 2;
    if (gts >= 2.4) return 1;
    return 0;
}

/// Parses one card. Errors: not an AMD card (errc::not_found), or a memory file that is not a number.
/// APU = a known APU id, or VRAM of at most 1 GiB (a BIOS carve-out) with a larger GTT.
[[nodiscard]] inline result<amd_card> parse_amd_card(const amd_card_files& f) {
    std::uint32_t vendor = 0;
    if (!f.vendor || !detail::parse_hex_id(*f.vendor, vendor) || vendor != 0x1002) return make_error(errc::not_found, "not an AMD GPU", 0);
    if (!f.vram_total) return make_error(errc::not_found, "no mem_info_vram_total (not driven by amdgpu?)", 0);
    amd_card c;
    auto num = [](const std::optional<std::string>& s, std::uint64_t& out) -> bool {
        if (!s) return true;
        return parse_u64(trim(*s), out);
    };
    if (!num(f.vram_total, c.vram_total) || !num(f.vram_used, c.vram_used) || !num(f.gtt_total, c.gtt_total) || !num(f.gtt_used, c.gtt_used))
        return make_error(errc::invalid_argument, "amdgpu mem_info_* file is not a byte count", 0);
    if (f.device) (void)detail::parse_hex_id(*f.device, c.device_id);
    bool known_apu = false;
    for (const auto& n : amd_pci_names)
        if (n.id == c.device_id) {
            c.name = std::string(n.name);
            known_apu = n.apu;
        }
    if (f.product_name && !trim(*f.product_name).empty()) c.name = std::string(trim(*f.product_name));
    if (c.name.empty()) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "AMD GPU 1002:%04x", c.device_id);
        c.name = buf;
    }
    c.apu = known_apu || (c.vram_total <= (std::uint64_t{1} << 30) && c.gtt_total > c.vram_total);
    if (f.link_speed) c.pcie_generation = pcie_generation_from_speed(*f.link_speed);
    if (f.link_width) {
        std::uint64_t w = 0;
        if (parse_u64(trim(*f.link_width), w) && w <= 64) c.pcie_width = static_cast<std::uint32_t>(w);
    }
    return c;
}

/// Adds a parsed card as a device record (ROCm backend). APUs report VRAM carve-out + GTT, both system RAM.
inline void add_amd_card(const amd_card& c, const std::string& card, probe_result& out) {
    device_record r;
    r.name = c.name;
    r.id = card;
    r.source = "sysfs";
    r.info.kind = backend::rocm;
    r.info.pcie_generation = c.apu ? 0 : c.pcie_generation;
    r.info.pcie_width = c.apu ? 0 : c.pcie_width;
    const std::string k = "devices." + std::to_string(out.devices.size());
    const std::string dir = "/sys/class/drm/" + card + "/device/";
    if (c.apu) {
        r.info.unified_memory = true;
        r.info.memory_total = c.vram_total + c.gtt_total;
        r.info.memory_free = (c.vram_total - std::min(c.vram_used, c.vram_total)) + (c.gtt_total - std::min(c.gtt_used, c.gtt_total));
        out.set_source(k + ".memory_total", dir + "mem_info_vram_total + mem_info_gtt_total (APU: carve-out + GTT, both system RAM)");
        out.set_source(k + ".memory_free", dir + "mem_info_{vram,gtt}_total - *_used");
        out.note(card + " (" + c.name + ") is an APU: its memory is system RAM shared with the host");
    } else {
        r.info.memory_total = c.vram_total;
        r.info.memory_free = c.vram_total - std::min(c.vram_used, c.vram_total);
        out.set_source(k + ".memory_total", dir + "mem_info_vram_total");
        out.set_source(k + ".memory_free", dir + "mem_info_vram_total - mem_info_vram_used");
        if (c.pcie_generation) out.set_source(k + ".pcie", dir + "current_link_speed / current_link_width");
    }
    if (const auto* e = lookup_bandwidth(c.name)) {
        r.info.bandwidth = e->gb_per_s * 1000000000ull;
        out.set_source(k + ".bandwidth", "table: " + std::string(e->source));
    } else {
        out.note(card + " (" + c.name + "): memory bandwidth unknown (not in the table)");
    }
    out.devices.push_back(std::move(r));
}

/// Scans `root`/sys/class/drm for amdgpu cards ("cardN"; connector entries like "card0-DP-1" are skipped)
/// in card-number order. Returns the number of AMD cards added.
inline std::size_t probe_amd_sysfs(const std::string& root, probe_result& out) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::path drm = join_root(root, "/sys/class/drm");
    std::vector<std::pair<std::uint64_t, std::string>> cards;
    fs::directory_iterator it(drm, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        std::uint64_t n = 0;
        if (name.size() > 4 && name.compare(0, 4, "card") == 0 && parse_u64(std::string_view(name).substr(4), n) && n < 4096)
            cards.emplace_back(n, name);
        if (cards.size() > 256) break;
    }
    std::sort(cards.begin(), cards.end());
    std::size_t added = 0;
    for (const auto& [n, card] : cards) {
        const std::string dir = drm.string() + "/" + card + "/device/";
        amd_card_files f;
        f.card = card;
        f.vendor = read_file(dir + "vendor", 64);
        f.device = read_file(dir + "device", 64);
        f.product_name = read_file(dir + "product_name", 256);
        f.vram_total = read_file(dir + "mem_info_vram_total", 64);
        f.vram_used = read_file(dir + "mem_info_vram_used", 64);
        f.gtt_total = read_file(dir + "mem_info_gtt_total", 64);
        f.gtt_used = read_file(dir + "mem_info_gtt_used", 64);
        f.link_speed = read_file(dir + "current_link_speed", 64);
        f.link_width = read_file(dir + "current_link_width", 64);
        auto c = parse_amd_card(f);
        if (!c) {
            if (c.error().code != errc::not_found) out.note(card + ": " + std::string(c.error().what));
            continue;
        }
        add_amd_card(*c, card, out);
        ++added;
    }
    return added;
}

}  // namespace llamaplan::probe

#endif  // LLAMAPLAN_PROBE_AMD_HPP
