// SPDX-License-Identifier: MIT
// Machine files: a probed machine saved as JSON and loaded back (format: adapters/probe/README.md).
#ifndef LLAMAPLAN_PROBE_MACHINE_FILE_HPP
#define LLAMAPLAN_PROBE_MACHINE_FILE_HPP

#include <llamaplan/config.hpp>
#include <llamaplan/machine.hpp>
#include <llamaplan/probe/json.hpp>
#include <llamaplan/probe/probe_result.hpp>
#include <llamaplan/probe/text.hpp>
#include <llamaplan/result.hpp>

#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>
#endif

namespace llamaplan::inline LLAMAPLAN_ABI_TAG::probe {

/// The "format" value every machine file carries.
inline constexpr std::string_view machine_file_format = "llamaplan-machine";
/// The machine file version this code writes and reads.
inline constexpr std::uint64_t machine_file_version = 1;
/// Largest machine file accepted (bytes).
inline constexpr std::size_t machine_file_max_size = 4u << 20;

/// The machine as a JSON value (see adapters/probe/README.md for the format).
[[nodiscard]] inline json::value machine_to_json_value(const probe_result& m) {
    using json::value;
    value root = value::make_object();
    root.set("format", value::make_string(machine_file_format));
    root.set("version", value::make_u64(machine_file_version));
    root.set("platform", value::make_string(m.platform));
    root.set("cpu_name", value::make_string(m.cpu_name));
    value& h = root.set("host", value::make_object());
    h.set("cpus_logical", value::make_u64(m.host.cpus_logical));
    h.set("cpus_physical", value::make_u64(m.host.cpus_physical));
    h.set("cpus_performance", value::make_u64(m.host.cpus_performance));
    h.set("cpus_efficiency", value::make_u64(m.host.cpus_efficiency));
    h.set("numa_nodes", value::make_u64(m.host.numa_nodes));
    h.set("memory_total", value::make_u64(m.host.memory_total));
    h.set("memory_available", value::make_u64(m.host.memory_available));
    h.set("bandwidth", value::make_u64(m.host.bandwidth));
    h.set("flops", value::make_u64(m.host.flops));
    if (m.host.bandwidth_per_thread) h.set("bandwidth_per_thread", value::make_u64(m.host.bandwidth_per_thread));
    if (m.host.memory_channels) h.set("memory_channels", value::make_u64(m.host.memory_channels));
    h.set("cpu_repack", value::make_bool(m.host.cpu_repack));
    h.set("cpu_amx", value::make_bool(m.host.cpu_amx));
    value& c = root.set("container", value::make_object());
    c.set("cgroup_version", value::make_string(m.limits.cgroup_version));
    c.set("cgroup_path", value::make_string(m.limits.cgroup_path));
    c.set("memory_limit", value::make_u64(m.limits.memory_limit));
    c.set("memory_usage", value::make_u64(m.limits.memory_usage));
    c.set("cpu_quota_millis", value::make_u64(m.limits.cpu_quota_millis));
    c.set("cpuset_cpus", value::make_u64(m.limits.cpuset_cpus));
    c.set("affinity_cpus", value::make_u64(m.limits.affinity_cpus));
    c.set("system_cpus", value::make_u64(m.limits.system_cpus));
    c.set("system_cores", value::make_u64(m.limits.system_cores));
    c.set("system_memory", value::make_u64(m.limits.system_memory));
    value& ds = root.set("devices", value::make_array());
    for (const auto& d : m.devices) {
        value& o = ds.push(value::make_object());
        o.set("name", value::make_string(d.name));
        o.set("backend", value::make_string(to_string(d.info.kind)));
        o.set("id", value::make_string(d.id));
        o.set("source", value::make_string(d.source));
        o.set("memory_total", value::make_u64(d.info.memory_total));
        o.set("memory_free", value::make_u64(d.info.memory_free));
        o.set("bandwidth", value::make_u64(d.info.bandwidth));
        o.set("flops", value::make_u64(d.info.flops));
        o.set("compute_major", value::make_u64(d.info.compute_major));
        o.set("compute_minor", value::make_u64(d.info.compute_minor));
        o.set("pcie_generation", value::make_u64(d.info.pcie_generation));
        o.set("pcie_width", value::make_u64(d.info.pcie_width));
        o.set("unified_memory", value::make_bool(d.info.unified_memory));
    }
    value& s = root.set("sources", value::make_object());
    for (const auto& f : m.sources) s.set(f.fact, value::make_string(f.source));
    value& n = root.set("notes", value::make_array());
    for (const auto& t : m.notes) n.push(value::make_string(t));
    if (!m.calibrations.empty()) {  // optional: files without calibrations read and write as before
        value& cs = root.set("calibrations", value::make_array());
        for (const auto& c : m.calibrations) {
            value& o = cs.push(value::make_object());
            o.set("device", value::make_string(c.device));
            o.set("description", value::make_string(c.description));
            o.set("backend", value::make_string(to_string(c.kind)));
            o.set("memory_total", value::make_u64(c.memory_total));
            o.set("log", value::make_string(c.log));
            o.set("build", value::make_u64(c.build));
            o.set("overhead", value::make_u64(c.overhead));
            o.set("overhead_source", value::make_string(c.overhead_source));
            o.set("compute_predicted", value::make_u64(c.compute_predicted));
            o.set("compute_logged", value::make_u64(c.compute_logged));
            o.set("decode_efficiency_ppm", value::make_u64(c.decode_efficiency_ppm));
            o.set("prefill_efficiency_ppm", value::make_u64(c.prefill_efficiency_ppm));
        }
    }
    return root;
}

/// The machine as pretty-printed JSON text (ends with a newline).
[[nodiscard]] inline std::string machine_to_json(const probe_result& m) { return json::dump(machine_to_json_value(m), 2) + "\n"; }

namespace detail {

/// Reads typed members of one JSON object, rejecting unknown keys; the first problem wins.
class object_reader {
public:
    object_reader(const json::value& obj, error& err) : obj_(obj), err_(err) {}

    [[nodiscard]] bool ok() const noexcept { return err_.code == errc::ok; }

    const json::value* get(std::string_view key, bool required, json::kind kind) {
        if (!ok()) return nullptr;
        const json::value* v = obj_.find(key);
        if (!v) {
            if (required) err_ = make_error(errc::missing_key, missing_message(key), obj_.offset);
            return nullptr;
        }
        if (v->type != kind) {
            err_ = make_error(errc::type_mismatch, kind == json::kind::number ? "expected a non-negative integer"
                                                   : kind == json::kind::string ? "expected a string"
                                                   : kind == json::kind::boolean ? "expected true or false"
                                                   : kind == json::kind::array ? "expected an array" : "expected an object",
                              v->offset);
            return nullptr;
        }
        return v;
    }
    void u64(std::string_view key, bool required, std::uint64_t& out, std::uint64_t max) {
        const json::value* v = get(key, required, json::kind::number);
        if (!v) return;
        std::uint64_t n = 0;
        if (!v->get_u64(n)) { err_ = make_error(errc::type_mismatch, "expected a non-negative integer", v->offset); return; }
        if (n > max) { err_ = make_error(errc::overflow, "number out of range", v->offset); return; }
        out = n;
    }
    void u32(std::string_view key, bool required, std::uint32_t& out, std::uint32_t max = 1u << 20) {
        std::uint64_t n = out;
        u64(key, required, n, max);
        if (ok()) out = static_cast<std::uint32_t>(n);
    }
    void str(std::string_view key, bool required, std::string& out) {
        if (const json::value* v = get(key, required, json::kind::string)) {
            if (v->text.size() > 4096) { err_ = make_error(errc::overflow, "string too long", v->offset); return; }
            out = v->text;
        }
    }
    void boolean(std::string_view key, bool required, bool& out) {
        if (const json::value* v = get(key, required, json::kind::boolean)) out = v->boolean;
    }
    void only(std::initializer_list<std::string_view> allowed) {
        if (!ok()) return;
        for (std::size_t i = 0; i < obj_.keys.size(); ++i) {
            bool known = false;
            for (auto a : allowed) known = known || a == obj_.keys[i];
            if (!known) { err_ = make_error(errc::invalid_argument, "unknown key", obj_.items[i].offset); return; }
        }
    }

private:
    static std::string_view missing_message(std::string_view key) {
        // error::what must point to a literal, so each required key has its own message.
        if (key == "format") return "missing required key \"format\"";
        if (key == "version") return "missing required key \"version\"";
        if (key == "host") return "missing required key \"host\"";
        if (key == "devices") return "missing required key \"devices\"";
        if (key == "cpus_logical") return "missing required key \"cpus_logical\"";
        if (key == "cpus_physical") return "missing required key \"cpus_physical\"";
        if (key == "memory_total") return "missing required key \"memory_total\"";
        if (key == "memory_available") return "missing required key \"memory_available\"";
        if (key == "name") return "missing required key \"name\"";
        if (key == "backend") return "missing required key \"backend\"";
        if (key == "memory_free") return "missing required key \"memory_free\"";
        if (key == "device") return "missing required key \"device\"";
        return "missing required key";
    }
    const json::value& obj_;
    error& err_;
};

}  // namespace detail

/// Reads a machine from JSON text. Errors carry the byte offset of the problem (json::describe gives line/column).
[[nodiscard]] inline result<probe_result> machine_from_json(std::string_view text) {
    json::limits lim;
    lim.max_size = machine_file_max_size;
    lim.max_depth = 8;
    auto parsed = json::parse(text, lim);
    if (!parsed) return parsed.error();
    const json::value& root = *parsed;
    if (root.type != json::kind::object) return make_error(errc::type_mismatch, "a machine file must be a JSON object", root.offset);
    error err{};
    probe_result m;
    detail::object_reader r(root, err);
    r.only({"format", "version", "platform", "cpu_name", "host", "container", "devices", "sources", "notes", "calibrations"});
    std::string format;
    r.str("format", true, format);
    if (r.ok() && format != machine_file_format) return make_error(errc::bad_magic, "\"format\" is not \"llamaplan-machine\"", root.find("format")->offset);
    std::uint64_t version = 0;
    r.u64("version", true, version, 1u << 20);
    if (r.ok() && version != machine_file_version) return make_error(errc::unsupported_version, "unsupported machine file version", root.find("version")->offset);
    r.str("platform", false, m.platform);
    r.str("cpu_name", false, m.cpu_name);
    if (const json::value* h = r.get("host", true, json::kind::object)) {
        detail::object_reader hr(*h, err);
        hr.only({"cpus_logical", "cpus_physical", "cpus_performance", "cpus_efficiency", "numa_nodes", "memory_total",
                 "memory_available", "bandwidth", "flops", "bandwidth_per_thread", "memory_channels", "cpu_repack",
                 "cpu_amx"});
        constexpr std::uint64_t big = std::uint64_t{1} << 62;
        hr.u32("cpus_logical", true, m.host.cpus_logical);
        hr.u32("cpus_physical", true, m.host.cpus_physical);
        hr.u32("cpus_performance", false, m.host.cpus_performance);
        hr.u32("cpus_efficiency", false, m.host.cpus_efficiency);
        hr.u32("numa_nodes", false, m.host.numa_nodes, 4096);
        hr.u64("memory_total", true, m.host.memory_total, big);
        hr.u64("memory_available", true, m.host.memory_available, big);
        hr.u64("bandwidth", false, m.host.bandwidth, big);
        hr.u64("flops", false, m.host.flops, big);
        hr.u64("bandwidth_per_thread", false, m.host.bandwidth_per_thread, big);
        hr.u32("memory_channels", false, m.host.memory_channels, 64);
        hr.boolean("cpu_repack", false, m.host.cpu_repack);
        hr.boolean("cpu_amx", false, m.host.cpu_amx);
        if (hr.ok() && m.host.cpus_physical > m.host.cpus_logical)
            return make_error(errc::invalid_argument, "host.cpus_physical exceeds host.cpus_logical", h->offset);
        if (hr.ok() && m.host.memory_available > m.host.memory_total)
            return make_error(errc::invalid_argument, "host.memory_available exceeds host.memory_total", h->offset);
    }
    if (const json::value* c = r.get("container", false, json::kind::object)) {
        detail::object_reader cr(*c, err);
        cr.only({"cgroup_version", "cgroup_path", "memory_limit", "memory_usage", "cpu_quota_millis", "cpuset_cpus",
                 "affinity_cpus", "system_cpus", "system_cores", "system_memory"});
        constexpr std::uint64_t big = std::uint64_t{1} << 62;
        cr.str("cgroup_version", false, m.limits.cgroup_version);
        cr.str("cgroup_path", false, m.limits.cgroup_path);
        cr.u64("memory_limit", false, m.limits.memory_limit, big);
        cr.u64("memory_usage", false, m.limits.memory_usage, big);
        cr.u32("cpu_quota_millis", false, m.limits.cpu_quota_millis, 0xFFFFFFFFu);
        cr.u32("cpuset_cpus", false, m.limits.cpuset_cpus);
        cr.u32("affinity_cpus", false, m.limits.affinity_cpus);
        cr.u32("system_cpus", false, m.limits.system_cpus);
        cr.u32("system_cores", false, m.limits.system_cores);
        cr.u64("system_memory", false, m.limits.system_memory, big);
    }
    if (const json::value* ds = r.get("devices", true, json::kind::array)) {
        if (ds->items.size() > LLAMAPLAN_MAX_DEVICES) return make_error(errc::capacity_exceeded, "more devices than LLAMAPLAN_MAX_DEVICES", ds->offset);
        for (const json::value& d : ds->items) {
            if (d.type != json::kind::object) return make_error(errc::type_mismatch, "a device must be a JSON object", d.offset);
            detail::object_reader dr(d, err);
            dr.only({"name", "backend", "id", "source", "memory_total", "memory_free", "bandwidth", "flops", "compute_major",
                     "compute_minor", "pcie_generation", "pcie_width", "unified_memory"});
            device_record rec;
            std::string be;
            constexpr std::uint64_t big = std::uint64_t{1} << 62;
            dr.str("name", true, rec.name);
            dr.str("backend", true, be);
            if (dr.ok() && !parse_backend(be, rec.info.kind)) return make_error(errc::invalid_argument, "unknown backend", d.find("backend")->offset);
            dr.str("id", false, rec.id);
            dr.str("source", false, rec.source);
            dr.u64("memory_total", true, rec.info.memory_total, big);
            dr.u64("memory_free", true, rec.info.memory_free, big);
            dr.u64("bandwidth", false, rec.info.bandwidth, big);
            dr.u64("flops", false, rec.info.flops, big);
            dr.u32("compute_major", false, rec.info.compute_major, 99);
            dr.u32("compute_minor", false, rec.info.compute_minor, 99);
            dr.u32("pcie_generation", false, rec.info.pcie_generation, 16);
            dr.u32("pcie_width", false, rec.info.pcie_width, 64);
            dr.boolean("unified_memory", false, rec.info.unified_memory);
            if (!dr.ok()) return err;
            if (rec.info.memory_free > rec.info.memory_total)
                return make_error(errc::invalid_argument, "device memory_free exceeds memory_total", d.offset);
            m.devices.push_back(std::move(rec));
        }
    }
    if (const json::value* s = r.get("sources", false, json::kind::object)) {
        for (std::size_t i = 0; i < s->items.size(); ++i) {
            if (s->items[i].type != json::kind::string) return make_error(errc::type_mismatch, "a source must be a string", s->items[i].offset);
            m.sources.push_back({s->keys[i], s->items[i].text});
        }
    }
    if (const json::value* n = r.get("notes", false, json::kind::array)) {
        for (const auto& t : n->items) {
            if (t.type != json::kind::string) return make_error(errc::type_mismatch, "a note must be a string", t.offset);
            m.notes.push_back(t.text);
        }
    }
    if (const json::value* cs = r.get("calibrations", false, json::kind::array)) {
        if (cs->items.size() > LLAMAPLAN_MAX_DEVICES + 1) return make_error(errc::capacity_exceeded, "more calibrations than devices", cs->offset);
        for (const json::value& c : cs->items) {
            if (c.type != json::kind::object) return make_error(errc::type_mismatch, "a calibration must be a JSON object", c.offset);
            detail::object_reader cr(c, err);
            cr.only({"device", "description", "backend", "memory_total", "log", "build", "overhead", "overhead_source",
                     "compute_predicted", "compute_logged", "decode_efficiency_ppm", "prefill_efficiency_ppm"});
            calibration_record rec;
            std::string be;
            constexpr std::uint64_t big = std::uint64_t{1} << 62;
            cr.str("device", true, rec.device);
            cr.str("description", false, rec.description);
            cr.str("backend", true, be);
            if (cr.ok() && !parse_backend(be, rec.kind)) return make_error(errc::invalid_argument, "unknown backend", c.find("backend")->offset);
            cr.u64("memory_total", false, rec.memory_total, big);
            cr.str("log", false, rec.log);
            cr.u32("build", false, rec.build, 0xFFFFFFFFu);
            cr.u64("overhead", false, rec.overhead, big);
            cr.str("overhead_source", false, rec.overhead_source);
            cr.u64("compute_predicted", false, rec.compute_predicted, big);
            cr.u64("compute_logged", false, rec.compute_logged, big);
            cr.u32("decode_efficiency_ppm", false, rec.decode_efficiency_ppm, 100000000u);
            cr.u32("prefill_efficiency_ppm", false, rec.prefill_efficiency_ppm, 100000000u);
            if (!cr.ok()) return err;
            if (rec.device.empty()) return make_error(errc::invalid_argument, "a calibration names no device", c.offset);
            m.calibrations.push_back(std::move(rec));
        }
    }
    if (!r.ok()) return err;
    return m;
}

/// Writes a machine file atomically: to "<path>.tmp.<pid>", then rename() over `path`.
[[nodiscard]] inline result<bool> save_machine_file(const std::string& path, const probe_result& m) {
    if (path.empty()) return make_error(errc::invalid_argument, "empty machine file path", 0);
    const std::string text = machine_to_json(m);
#if defined(__unix__) || defined(__APPLE__)
    const std::string tmp = path + ".tmp." + std::to_string(static_cast<long>(getpid()));
#else
    const std::string tmp = path + ".tmp";
#endif
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    if (!f) return make_error(errc::io_error, "cannot create the temporary machine file", 0);
    const bool wrote = std::fwrite(text.data(), 1, text.size(), f) == text.size();
    const bool flushed = std::fflush(f) == 0;
#if defined(__unix__) || defined(__APPLE__)
    const bool synced = fsync(fileno(f)) == 0;
#else
    const bool synced = true;
#endif
    const bool closed = std::fclose(f) == 0;
    if (!wrote || !flushed || !synced || !closed) {
        std::remove(tmp.c_str());
        return make_error(errc::io_error, "cannot write the machine file", 0);
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::remove(tmp.c_str());
        return make_error(errc::io_error, "cannot rename the temporary machine file into place", 0);
    }
    return true;
}

/// Loads a machine file. On error, `message` (when given) receives "PATH:LINE:COLUMN: what".
[[nodiscard]] inline result<probe_result> load_machine_file(const std::string& path, std::string* message = nullptr) {
    const auto text = read_file(path, machine_file_max_size + 1);
    if (!text) {
        if (message) *message = path + ": cannot read the file";
        return make_error(errc::not_found, "cannot read the machine file", 0);
    }
    if (text->size() > machine_file_max_size) {
        if (message) *message = path + ": file exceeds " + std::to_string(machine_file_max_size) + " bytes";
        return make_error(errc::overflow, "machine file too large", machine_file_max_size);
    }
    auto m = machine_from_json(*text);
    if (!m && message) {
        const auto p = json::position_of(*text, m.error().where);
        *message = path + ":" + std::to_string(p.line) + ":" + std::to_string(p.column) + ": " + std::string(m.error().what);
    }
    return m;
}

}  // namespace llamaplan::probe

#endif  // LLAMAPLAN_PROBE_MACHINE_FILE_HPP
