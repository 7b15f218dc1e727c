// SPDX-License-Identifier: MIT
// Vulkan devices through the loader (libvulkan.so.1, loaded at run time; no Vulkan headers).
// Memory is computed as ggml-vulkan does (ggml_backend_vk_get_device_memory, ggml-vulkan.cpp @3f545bec):
// sum of device-local heaps (all heaps on an integrated GPU); free = heapBudget - heapUsage with
// VK_EXT_memory_budget, else the heap size.
#ifndef LLAMAPLAN_PROBE_VULKAN_HPP
#define LLAMAPLAN_PROBE_VULKAN_HPP

#include <llamaplan/config.hpp>

#include <llamaplan/probe/bandwidth.hpp>
#include <llamaplan/probe/probe_result.hpp>
#include <llamaplan/probe/system.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace llamaplan::inline LLAMAPLAN_ABI_TAG::probe {

/// One Vulkan memory heap as the planner needs it.
struct vulkan_heap {
    std::uint64_t size = 0;    ///< heap size (bytes)
    bool device_local = false; ///< VK_MEMORY_HEAP_DEVICE_LOCAL_BIT
    std::uint64_t budget = 0;  ///< VkPhysicalDeviceMemoryBudgetPropertiesEXT::heapBudget (bytes)
    std::uint64_t usage = 0;   ///< ...::heapUsage (bytes)
};

/// Total and free device memory (bytes).
struct vulkan_memory {
    std::uint64_t total = 0;  ///< bytes
    std::uint64_t free = 0;   ///< bytes
};

/// ggml-vulkan's memory rule over a list of heaps.
[[nodiscard]] inline vulkan_memory vulkan_device_memory(const std::vector<vulkan_heap>& heaps, bool integrated, bool has_budget) {
    vulkan_memory m;
    for (const auto& h : heaps) {
        if (!integrated && !h.device_local) continue;
        m.total += h.size;
        m.free += has_budget ? (h.budget > h.usage ? h.budget - h.usage : 0) : h.size;
    }
    return m;
}

namespace detail::vk {
// Only the pieces of vulkan_core.h this probe touches; layouts match the C ABI of Vulkan 1.1.
using handle = void*;
using pfn_void = void (*)();
using get_instance_proc_addr = pfn_void (*)(handle instance, const char* name);
struct application_info {
    std::int32_t s_type = 0;  // VK_STRUCTURE_TYPE_APPLICATION_INFO
    const void* p_next = nullptr;
    const char* app_name = nullptr;
    std::uint32_t app_version = 0;
    const char* engine_name = nullptr;
    std::uint32_t engine_version = 0;
    std::uint32_t api_version = 0;
};
struct instance_create_info {
    std::int32_t s_type = 1;  // VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO
    const void* p_next = nullptr;
    std::uint32_t flags = 0;
    const application_info* app = nullptr;
    std::uint32_t layer_count = 0;
    const char* const* layers = nullptr;
    std::uint32_t extension_count = 0;
    const char* const* extensions = nullptr;
};
/// VkPhysicalDeviceProperties: the leading fields, then room for limits and sparse properties (824 bytes on LP64).
struct physical_device_properties {
    std::uint32_t api_version;
    std::uint32_t driver_version;
    std::uint32_t vendor_id;
    std::uint32_t device_id;
    std::int32_t device_type;  // 1 integrated, 2 discrete, 3 virtual, 4 cpu
    char device_name[256];     // VK_MAX_PHYSICAL_DEVICE_NAME_SIZE
    std::uint8_t pipeline_cache_uuid[16];
    alignas(8) unsigned char rest[1024];  // VkPhysicalDeviceLimits + VkPhysicalDeviceSparseProperties, oversized
};
struct memory_type { std::uint32_t flags, heap_index; };
struct memory_heap { std::uint64_t size; std::uint32_t flags; };
struct memory_properties {
    std::uint32_t type_count;
    memory_type types[32];  // VK_MAX_MEMORY_TYPES
    std::uint32_t heap_count;
    memory_heap heaps[16];  // VK_MAX_MEMORY_HEAPS
};
struct memory_properties2 {
    std::int32_t s_type = 1000059006;  // VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_PROPERTIES_2
    void* p_next = nullptr;
    memory_properties props{};
};
struct memory_budget {
    std::int32_t s_type = 1000237000;  // VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_BUDGET_PROPERTIES_EXT
    void* p_next = nullptr;
    std::uint64_t budget[16] = {};
    std::uint64_t usage[16] = {};
};
struct extension_properties { char name[256]; std::uint32_t spec_version; };
}  // namespace detail::vk

/// Enumerates Vulkan GPUs as ggml-vulkan selects them by default (all discrete and integrated GPUs; if none,
/// the first non-CPU device). Devices whose PCI vendor is in `skip_vendors` (already found by a native backend)
/// are left out. Returns false when no Vulkan loader or instance is available.
inline bool probe_vulkan(probe_result& out, const std::vector<std::uint32_t>& skip_vendors = {}) {
#if defined(__unix__) || defined(__APPLE__)
    namespace vk = detail::vk;
#if defined(__APPLE__)
    void* lib = dlopen("libvulkan.1.dylib", RTLD_NOW | RTLD_LOCAL);
#else
    void* lib = dlopen("libvulkan.so.1", RTLD_NOW | RTLD_LOCAL);
#endif
    if (!lib) return false;
    const auto gipa = detail::load_symbol<vk::get_instance_proc_addr>(lib, "vkGetInstanceProcAddr");
    if (!gipa) {
        dlclose(lib);
        return false;
    }
    auto proc = [&](vk::handle inst, const char* name) -> vk::pfn_void { return gipa(inst, name); };
    auto cast = [](vk::pfn_void p, auto& f) { std::memcpy(&f, &p, sizeof f); };

    using fn_enum_version = std::int32_t (*)(std::uint32_t*);
    using fn_create = std::int32_t (*)(const vk::instance_create_info*, const void*, vk::handle*);
    using fn_destroy = void (*)(vk::handle, const void*);
    using fn_enum_dev = std::int32_t (*)(vk::handle, std::uint32_t*, vk::handle*);
    using fn_props = void (*)(vk::handle, vk::physical_device_properties*);
    using fn_mem = void (*)(vk::handle, vk::memory_properties*);
    using fn_mem2 = void (*)(vk::handle, vk::memory_properties2*);
    using fn_exts = std::int32_t (*)(vk::handle, const char*, std::uint32_t*, vk::extension_properties*);

    fn_enum_version enum_version = nullptr;
    fn_create create = nullptr;
    cast(proc(nullptr, "vkEnumerateInstanceVersion"), enum_version);
    cast(proc(nullptr, "vkCreateInstance"), create);
    if (!create) {
        dlclose(lib);
        return false;
    }
    std::uint32_t loader_version = 1u << 22;  // 1.0
    if (enum_version) (void)enum_version(&loader_version);
    const bool v11 = loader_version >= ((1u << 22) | (1u << 12));
    vk::application_info app;
    app.app_name = "llamaplan";
    app.api_version = v11 ? ((1u << 22) | (1u << 12)) : (1u << 22);
    vk::instance_create_info ci;
    ci.app = &app;
    vk::handle inst = nullptr;
    if (create(&ci, nullptr, &inst) != 0 || !inst) {
        out.note("Vulkan loader present but vkCreateInstance failed (no ICD?)");
        dlclose(lib);
        return false;
    }
    fn_destroy destroy = nullptr;
    fn_enum_dev enum_dev = nullptr;
    fn_props props = nullptr;
    fn_mem mem = nullptr;
    fn_mem2 mem2 = nullptr;
    fn_exts exts = nullptr;
    cast(proc(inst, "vkDestroyInstance"), destroy);
    cast(proc(inst, "vkEnumeratePhysicalDevices"), enum_dev);
    cast(proc(inst, "vkGetPhysicalDeviceProperties"), props);
    cast(proc(inst, "vkGetPhysicalDeviceMemoryProperties"), mem);
    if (v11) cast(proc(inst, "vkGetPhysicalDeviceMemoryProperties2"), mem2);
    cast(proc(inst, "vkEnumerateDeviceExtensionProperties"), exts);
    std::uint32_t n = 0;
    std::vector<vk::handle> devs;
    if (enum_dev && props && mem && enum_dev(inst, &n, nullptr) == 0 && n > 0) {
        n = std::min<std::uint32_t>(n, 64);
        devs.resize(n);
        if (enum_dev(inst, &n, devs.data()) < 0) n = 0;  // VK_INCOMPLETE (5) is fine
        devs.resize(n);
    }
    struct found { vk::handle h; vk::physical_device_properties p; };
    std::vector<found> all;
    for (auto h : devs) {
        found f{h, {}};
        std::memset(&f.p, 0, sizeof f.p);
        props(h, &f.p);
        all.push_back(f);
    }
    std::vector<const found*> chosen;
    for (const auto& f : all)
        if (f.p.device_type == 1 || f.p.device_type == 2) chosen.push_back(&f);
    if (chosen.empty())
        for (const auto& f : all)
            if (f.p.device_type != 4) {
                chosen.push_back(&f);
                break;
            }
    for (const auto* f : chosen) {
        if (std::find(skip_vendors.begin(), skip_vendors.end(), f->p.vendor_id) != skip_vendors.end()) continue;
        bool budget_ext = false;
        if (exts && mem2 && f->p.api_version >= ((1u << 22) | (1u << 12))) {
            std::uint32_t ne = 0;
            if (exts(f->h, nullptr, &ne, nullptr) == 0 && ne > 0 && ne < 4096) {
                std::vector<vk::extension_properties> ev(ne);
                if (exts(f->h, nullptr, &ne, ev.data()) >= 0)
                    for (std::uint32_t i = 0; i < ne && i < ev.size(); ++i)
                        if (std::strncmp(ev[i].name, "VK_EXT_memory_budget", sizeof ev[i].name) == 0) budget_ext = true;
            }
        }
        std::vector<vulkan_heap> heaps;
        if (budget_ext) {
            vk::memory_budget b;
            vk::memory_properties2 p2;
            p2.p_next = &b;
            mem2(f->h, &p2);
            for (std::uint32_t i = 0; i < p2.props.heap_count && i < 16; ++i)
                heaps.push_back({p2.props.heaps[i].size, (p2.props.heaps[i].flags & 1u) != 0, b.budget[i], b.usage[i]});
        } else {
            vk::memory_properties p{};
            mem(f->h, &p);
            for (std::uint32_t i = 0; i < p.heap_count && i < 16; ++i)
                heaps.push_back({p.heaps[i].size, (p.heaps[i].flags & 1u) != 0, 0, 0});
        }
        const bool integrated = f->p.device_type == 1;
        const vulkan_memory m = vulkan_device_memory(heaps, integrated, budget_ext);
        device_record r;
        r.name.assign(f->p.device_name, strnlen(f->p.device_name, sizeof f->p.device_name));
        r.id = "vulkan:" + std::to_string(static_cast<std::size_t>(f - all.data()));
        r.source = "vulkan";
        r.info.kind = backend::vulkan;
        r.info.memory_total = m.total;
        r.info.memory_free = m.free;
        r.info.unified_memory = integrated;
        const std::string k = "devices." + std::to_string(out.devices.size());
        out.set_source(k + ".memory_total", integrated ? "Vulkan memory heaps (all heaps: integrated GPU)" : "Vulkan device-local heaps");
        out.set_source(k + ".memory_free", budget_ext ? "VK_EXT_memory_budget heapBudget - heapUsage" : "Vulkan heap size (no VK_EXT_memory_budget)");
        if (const auto* e = lookup_bandwidth(r.name)) {
            r.info.bandwidth = e->gb_per_s * 1000000000ull;
            out.set_source(k + ".bandwidth", "table: " + std::string(e->source));
        } else {
            out.note(k + " (" + r.name + "): memory bandwidth unknown (not in the table)");
        }
        out.devices.push_back(std::move(r));
    }
    if (destroy) destroy(inst, nullptr);
    dlclose(lib);
    return true;
#else
    (void)out;
    (void)skip_vendors;
    return false;
#endif
}

}  // namespace llamaplan::probe

#endif  // LLAMAPLAN_PROBE_VULKAN_HPP
