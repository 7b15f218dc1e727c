// SPDX-License-Identifier: MIT
// A llama-swap config read for planning: models and their `cmd`, macros, groups and the swap matrix (llama-swap
// internal/config/config.go, model_config.go, matrix.go, internal/matrix/dsl.go), and which models may run side by
// side so they can be planned against the same memory.
#ifndef LLAMAPLAN_LLAMA_SWAP_CONFIG_HPP
#define LLAMAPLAN_LLAMA_SWAP_CONFIG_HPP

#include <llamaplan/config.hpp>

#include <llamaplan/llama_swap/command.hpp>
#include <llamaplan/llama_swap/yaml.hpp>
#include <llamaplan/result.hpp>

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace llamaplan::inline LLAMAPLAN_ABI_TAG::llama_swap {

/// One entry of `models:`.
struct model_entry {
    std::string id;                 ///< the model ID (its key under `models:`)
    std::size_t line = 0;           ///< 1-based line of the ID
    bool has_cmd = false;           ///< a `cmd` scalar is present
    traced_text cmd;                ///< the decoded `cmd` value
    scalar_style cmd_style = scalar_style::plain;  ///< how `cmd` is written
    bool cmd_flow = false;          ///< `cmd` sits in a flow mapping (not edited)
    span cmd_where{};               ///< bytes of the `cmd` scalar
    std::size_t cmd_line = 0;       ///< 1-based line of the `cmd` value
    std::vector<macro_def> macros;  ///< the model's own `macros`, in order
    std::string problem;            ///< why this entry cannot be used (e.g. `cmd` is not a scalar); empty if fine
};

/// A group (`groups:` or `routing.router.settings.groups`), with llama-swap's defaults.
struct group_def {
    std::string name;                  ///< group ID
    bool swap = true;                  ///< true: one member at a time; false: all members together
    bool exclusive = true;             ///< true: loading a member unloads the other non-persistent groups
    bool persistent = false;           ///< true: never unloaded by other groups
    std::vector<std::string> members;  ///< model IDs
    std::size_t line = 0;              ///< 1-based line of the group's name
};

/// The swap matrix (`matrix:` or `routing.router.settings.matrix`).
struct matrix_def {
    bool present = false;  ///< a matrix is configured
    string_pairs vars;     ///< short name -> model ID
    string_pairs sets;     ///< set name -> DSL expression (`&`, `|`, `(...)`, `+set`), in file order
    std::size_t line = 0;  ///< 1-based line of the matrix
};

/// Which router decides what runs together.
enum class router_kind : std::uint8_t { group, matrix };

/// A llama-swap config as far as planning needs it.
struct swap_config {
    std::vector<model_entry> models;  ///< in file order
    std::vector<macro_def> macros;    ///< global macros, in order
    std::vector<group_def> groups;    ///< groups, in file order (the default group is not listed)
    matrix_def matrix;                ///< the matrix, when configured
    router_kind router = router_kind::group;  ///< `routing.router.use` (legacy: matrix when `matrix:` is present)
    /// The model named `id`, or nullptr.
    [[nodiscard]] const model_entry* find(std::string_view id) const {
        for (const auto& m : models)
            if (m.id == id) return &m;
        return nullptr;
    }
};

namespace detail {

[[nodiscard]] inline bool valid_macro_name(std::string_view n) {
    if (n.empty() || n.size() >= 64) return false;
    for (char c : n)
        if (!is_macro_char(c)) return false;
    return true;
}

/// A YAML boolean as yaml.v3 decodes it into a Go bool.
[[nodiscard]] inline int yaml_bool(const node& n) {
    if (n.kind != node_kind::scalar || n.style != scalar_style::plain) return -1;
    const std::string& v = n.value.text;
    if (v == "true" || v == "True" || v == "TRUE") return 1;
    if (v == "false" || v == "False" || v == "FALSE") return 0;
    return -1;
}

inline bool read_macros(const node& m, std::vector<macro_def>& out, error& err) {
    if (m.kind == node_kind::null) return true;
    if (m.kind != node_kind::mapping) {
        err = make_error(errc::invalid_argument, "macros must be a mapping", m.line);
        return false;
    }
    for (std::size_t i = 0; i + 1 < m.children.size(); i += 2) {
        const node& k = m.children[i];
        const node& v = m.children[i + 1];
        if (!valid_macro_name(k.value.text)) {
            err = make_error(errc::invalid_argument, "invalid macro name (must match ^[a-zA-Z0-9_-]+$, under 64 characters)", k.line);
            return false;
        }
        if (k.value.text == "PORT" || k.value.text == "MODEL_ID") {
            err = make_error(errc::invalid_argument, "macro name is reserved (PORT, MODEL_ID)", k.line);
            return false;
        }
        macro_def d;
        d.name = k.value.text;
        d.line = k.line;
        d.scalar = v.kind == node_kind::scalar || v.kind == node_kind::null;
        if (v.kind == node_kind::scalar) d.value = v.value;
        out.push_back(std::move(d));
    }
    return true;
}

inline bool read_string_list(const node& n, std::vector<std::string>& out, error& err, std::string_view what) {
    if (n.kind == node_kind::null) return true;
    if (n.kind != node_kind::sequence) {
        err = make_error(errc::invalid_argument, what, n.line);
        return false;
    }
    for (const auto& it : n.children) {
        if (it.kind != node_kind::scalar) {
            err = make_error(errc::invalid_argument, what, it.line);
            return false;
        }
        out.push_back(it.value.text);
    }
    return true;
}

inline bool read_groups(const node& g, std::vector<group_def>& out, error& err) {
    if (g.kind == node_kind::null) return true;
    if (g.kind != node_kind::mapping) {
        err = make_error(errc::invalid_argument, "groups must be a mapping of group IDs", g.line);
        return false;
    }
    for (std::size_t i = 0; i + 1 < g.children.size(); i += 2) {
        group_def d;
        d.name = g.children[i].value.text;
        d.line = g.children[i].line;
        const node& v = g.children[i + 1];
        if (v.kind != node_kind::mapping && v.kind != node_kind::null) {
            err = make_error(errc::invalid_argument, "a group must be a mapping (swap, exclusive, persistent, members)", v.line);
            return false;
        }
        for (std::string_view key : {std::string_view("swap"), std::string_view("exclusive"), std::string_view("persistent")}) {
            const node* f = v.find(key);
            if (f == nullptr) continue;
            const int b = yaml_bool(*f);
            if (b < 0) {
                err = make_error(errc::invalid_argument, "group swap / exclusive / persistent must be true or false", f->line);
                return false;
            }
            (key == "swap" ? d.swap : key == "exclusive" ? d.exclusive : d.persistent) = b == 1;
        }
        if (const node* mem = v.find("members"))
            if (!read_string_list(*mem, d.members, err, "group members must be a list of model IDs")) return false;
        out.push_back(std::move(d));
    }
    return true;
}

inline bool read_matrix(const node& m, matrix_def& out, error& err) {
    if (m.kind == node_kind::null) return true;
    if (m.kind != node_kind::mapping) {
        err = make_error(errc::invalid_argument, "matrix must be a mapping (vars, evict_costs, sets)", m.line);
        return false;
    }
    out.present = true;
    out.line = m.line;
    auto pairs = [&](const node* n, string_pairs& dst, std::string_view what) {
        if (n == nullptr || n->kind == node_kind::null) return true;
        if (n->kind != node_kind::mapping) {
            err = make_error(errc::invalid_argument, what, n->line);
            return false;
        }
        for (std::size_t i = 0; i + 1 < n->children.size(); i += 2) {
            if (n->children[i + 1].kind != node_kind::scalar) {
                err = make_error(errc::invalid_argument, what, n->children[i + 1].line);
                return false;
            }
            dst.emplace_back(n->children[i].value.text, n->children[i + 1].value.text);
        }
        return true;
    };
    return pairs(m.find("vars"), out.vars, "matrix vars must map names to model IDs") &&
           pairs(m.find("sets"), out.sets, "matrix sets must map set names to expressions");
}

}  // namespace detail

/// Reads a llama-swap config. Errors (YAML outside the supported subset, a config llama-swap itself rejects) carry
/// the 1-based line in `error::where`. Problems limited to one model are recorded in that model's `problem`.
[[nodiscard]] inline result<swap_config> parse_config(std::string_view text, yaml_limits limits = {}) {
    auto doc = parse_yaml(text, limits);
    if (!doc) return doc.error();
    const node& root = *doc;
    swap_config cfg;
    if (root.kind == node_kind::null) return make_error(errc::invalid_argument, "the config is empty", 1);
    if (root.kind != node_kind::mapping) return make_error(errc::invalid_argument, "the config must be a mapping", root.line);
    error err{};
    if (const node* m = root.find("macros"))
        if (!detail::read_macros(*m, cfg.macros, err)) return err;
    const node* models = root.find("models");
    if (models != nullptr && models->kind != node_kind::null) {
        if (models->kind != node_kind::mapping)
            return make_error(errc::invalid_argument, "models must be a mapping of model IDs", models->line);
        for (std::size_t i = 0; i + 1 < models->children.size(); i += 2) {
            model_entry e;
            e.id = models->children[i].value.text;
            e.line = models->children[i].line;
            const node& v = models->children[i + 1];
            if (v.kind != node_kind::mapping) {
                e.problem = "the model entry is not a mapping";
            } else {
                if (const node* mm = v.find("macros"))
                    if (!detail::read_macros(*mm, e.macros, err)) return err;
                const node* c = v.find("cmd");
                if (c == nullptr || c->kind == node_kind::null) {
                    e.problem = "no cmd";
                } else if (c->kind != node_kind::scalar) {
                    e.problem = "cmd is not a string";
                } else {
                    e.has_cmd = true;
                    e.cmd = c->value;
                    e.cmd_style = c->style;
                    e.cmd_flow = c->flow || v.flow;
                    e.cmd_where = c->where;
                    e.cmd_line = c->line;
                }
            }
            cfg.models.push_back(std::move(e));
        }
    }
    const node* legacy_groups = root.find("groups");
    const node* legacy_matrix = root.find("matrix");
    const node* routing = root.find("routing");
    const node* router = routing != nullptr ? routing->find("router") : nullptr;
    const bool has_legacy = (legacy_groups != nullptr && legacy_groups->kind != node_kind::null) ||
                            (legacy_matrix != nullptr && legacy_matrix->kind != node_kind::null);
    if (router != nullptr && router->kind == node_kind::mapping) {
        if (has_legacy)
            return make_error(errc::invalid_argument, "legacy groups:/matrix: cannot be mixed with routing.router", router->line);
        if (const node* use = router->find("use")) {
            if (use->value.text == "matrix") cfg.router = router_kind::matrix;
            else if (use->value.text == "group" || use->value.text.empty()) cfg.router = router_kind::group;
            else return make_error(errc::invalid_argument, "routing.router.use must be 'group' or 'matrix'", use->line);
        }
        if (const node* settings = router->find("settings")) {
            if (const node* g = settings->find("groups"))
                if (!detail::read_groups(*g, cfg.groups, err)) return err;
            if (const node* m = settings->find("matrix"))
                if (!detail::read_matrix(*m, cfg.matrix, err)) return err;
        }
    } else {
        if (legacy_groups != nullptr)
            if (!detail::read_groups(*legacy_groups, cfg.groups, err)) return err;
        if (legacy_matrix != nullptr)
            if (!detail::read_matrix(*legacy_matrix, cfg.matrix, err)) return err;
        if (cfg.matrix.present) cfg.router = router_kind::matrix;
    }
    for (const auto& g : cfg.groups)
        for (const auto& m : g.members)
            if (cfg.find(m) == nullptr)
                return make_error(errc::invalid_argument, "a group member is not a model ID", g.line);
    return cfg;
}

/// The argv of one model: global macros, then the model's (each expanded with the ones before it), `${MODEL_ID}`
/// set to the model's ID unless the caller gave one, then analyze_command.
[[nodiscard]] inline command_info model_command(const swap_config& cfg, const model_entry& m, const command_options& opt) {
    command_info info;
    info.line = m.has_cmd ? m.cmd_line : m.line;
    if (!m.problem.empty() || !m.has_cmd) {
        info.problem = m.problem.empty() ? "no cmd" : m.problem;
        return info;
    }
    command_options o = opt;
    if (detail::lookup(o.reserved, "MODEL_ID") == nullptr) o.reserved.emplace_back("MODEL_ID", m.id);
    std::vector<macro_def> macros;
    std::string problem;
    auto add = [&](const macro_def& d) {
        if (!d.scalar) return;  // maps can only be used as whole values, never inside a cmd
        macro_def x = d;
        x.value = expand_macros(substitute_env(d.value, o.env, false, problem), macros, o.reserved,
                                o.max_expanded_bytes, problem);
        macros.push_back(std::move(x));
    };
    for (const auto& d : cfg.macros) add(d);
    for (const auto& d : m.macros) add(d);
    if (!problem.empty()) {
        info.problem = "in a macro: " + problem;
        return info;
    }
    info = analyze_command(m.cmd, m.cmd_style == scalar_style::double_quoted, macros, o);
    info.line = m.cmd_line;
    if (info.problem.empty() && m.cmd_flow) info.problem = "cmd is written inside a flow mapping: left as written";
    return info;
}

/// Models that may be loaded at the same time: every set listed may run together, so a plan for these models must
/// fit all of them at once. Sets are maximal (no set is a subset of another) and sorted.
struct side_by_side {
    std::vector<std::vector<std::string>> sets;  ///< model IDs that may run together (each sorted)
};

namespace detail {

using model_sets = std::vector<std::vector<std::string>>;

inline void normalize(std::vector<std::string>& s) {
    std::sort(s.begin(), s.end());
    s.erase(std::unique(s.begin(), s.end()), s.end());
}

/// Union of one set from each family (AND), bounded by `cap` sets.
inline bool product(const model_sets& a, const model_sets& b, model_sets& out, std::size_t cap) {
    out.clear();
    for (const auto& x : a)
        for (const auto& y : b) {
            if (out.size() >= cap) return false;
            std::vector<std::string> u = x;
            u.insert(u.end(), y.begin(), y.end());
            normalize(u);
            out.push_back(std::move(u));
        }
    return true;
}

inline void keep_maximal(model_sets& s) {
    for (auto& x : s) normalize(x);
    std::sort(s.begin(), s.end());
    s.erase(std::unique(s.begin(), s.end()), s.end());
    model_sets out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        bool sub = false;
        for (std::size_t j = 0; j < s.size() && !sub; ++j)
            if (i != j && s[j].size() > s[i].size() && std::includes(s[j].begin(), s[j].end(), s[i].begin(), s[i].end()))
                sub = true;
        if (!sub) out.push_back(s[i]);
    }
    s = std::move(out);
}

/// Evaluates the matrix DSL (internal/matrix/dsl.go): identifiers [letters digits _ - .], `&` (union of one set from
/// each side), `|` (alternatives), parentheses, `+name` (another set). Depth and size are bounded.
class matrix_eval {
public:
    matrix_eval(const swap_config& cfg, std::size_t cap) : cfg_(cfg), cap_(cap) {}

    result<model_sets> set(std::string_view name, std::size_t depth) {
        if (depth > 32) return make_error(errc::invalid_argument, "matrix set references are too deep or cyclic", cfg_.matrix.line);
        for (const auto& s : cfg_.matrix.sets)
            if (s.first == name) {
                std::string saved = std::move(expr_);
                std::size_t saved_pos = pos_;
                expr_ = s.second;
                pos_ = 0;
                auto r = parse_or(depth);
                if (r) {
                    skip();
                    if (pos_ != expr_.size()) r = make_error(errc::invalid_argument, "unexpected text in a matrix set expression", cfg_.matrix.line);
                }
                expr_ = std::move(saved);
                pos_ = saved_pos;
                return r;
            }
        return make_error(errc::invalid_argument, "a matrix set references an unknown set", cfg_.matrix.line);
    }

private:
    const swap_config& cfg_;
    std::size_t cap_;
    std::string expr_;
    std::size_t pos_ = 0;

    void skip() {
        while (pos_ < expr_.size() && (expr_[pos_] == ' ' || expr_[pos_] == '\t' || expr_[pos_] == '\n')) ++pos_;
    }
    static bool ident_char(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
               c == '.' || static_cast<unsigned char>(c) >= 0x80;
    }
    error bad(std::string_view what) const { return make_error(errc::invalid_argument, what, cfg_.matrix.line); }

    result<model_sets> parse_or(std::size_t depth) {
        auto left = parse_and(depth);
        if (!left) return left;
        model_sets acc = std::move(*left);
        for (;;) {
            skip();
            if (pos_ >= expr_.size() || expr_[pos_] != '|') break;
            ++pos_;
            auto right = parse_and(depth);
            if (!right) return right;
            acc.insert(acc.end(), right->begin(), right->end());
            if (acc.size() > cap_) return bad("the matrix allows too many combinations to list");
        }
        return acc;
    }
    result<model_sets> parse_and(std::size_t depth) {
        auto left = parse_atom(depth);
        if (!left) return left;
        model_sets acc = std::move(*left);
        for (;;) {
            skip();
            if (pos_ >= expr_.size() || expr_[pos_] != '&') break;
            ++pos_;
            auto right = parse_atom(depth);
            if (!right) return right;
            model_sets out;
            if (!product(acc, *right, out, cap_)) return bad("the matrix allows too many combinations to list");
            acc = std::move(out);
        }
        return acc;
    }
    result<model_sets> parse_atom(std::size_t depth) {
        skip();
        if (pos_ >= expr_.size()) return bad("a matrix set expression ends early");
        const char c = expr_[pos_];
        if (c == '(') {
            if (depth > 64) return bad("a matrix set expression is nested too deeply");
            ++pos_;
            auto r = parse_or(depth + 1);
            if (!r) return r;
            skip();
            if (pos_ >= expr_.size() || expr_[pos_] != ')') return bad("missing ')' in a matrix set expression");
            ++pos_;
            return r;
        }
        if (c == '+') {
            ++pos_;
            const std::size_t b = pos_;
            while (pos_ < expr_.size() && ident_char(expr_[pos_])) ++pos_;
            if (pos_ == b) return bad("expected a set name after '+' in a matrix set expression");
            return set(std::string_view(expr_).substr(b, pos_ - b), depth + 1);
        }
        const std::size_t b = pos_;
        while (pos_ < expr_.size() && ident_char(expr_[pos_])) ++pos_;
        if (pos_ == b) return bad("unexpected character in a matrix set expression");
        const std::string id = expr_.substr(b, pos_ - b);
        const std::string* model = lookup(cfg_.matrix.vars, id);
        const std::string name = model != nullptr ? *model : id;
        if (cfg_.find(name) == nullptr) return bad("a matrix set names an unknown model or var");
        return model_sets{{name}};
    }
};

}  // namespace detail

/// Which models may run side by side under the configured router, as maximal sets of model IDs:
/// - groups: a group with `swap: true` runs one member at a time, with `swap: false` all of them; loading a member
///   of an `exclusive` group unloads every other non-persistent group, a non-exclusive group joins whatever runs,
///   and `persistent` groups stay next to everything. Models in no group form llama-swap's default group (swap and
///   exclusive). So each set is: one exclusive non-persistent group's running members, plus every non-exclusive
///   and every persistent group's running members.
/// - matrix: each named set expands to the model sets its expression allows (a set allows any subset of itself);
///   a model named in no set runs alone.
/// More than `cap` combinations is an error rather than an unbounded list.
[[nodiscard]] inline result<side_by_side> side_by_side_sets(const swap_config& cfg, std::size_t cap = 4096) {
    side_by_side out;
    detail::model_sets all;
    if (cfg.router == router_kind::matrix) {
        if (!cfg.matrix.present || cfg.matrix.sets.empty())
            return make_error(errc::invalid_argument, "routing uses the matrix but it defines no sets", cfg.matrix.line);
        detail::matrix_eval ev(cfg, cap);
        for (const auto& s : cfg.matrix.sets) {
            auto r = ev.set(s.first, 0);
            if (!r) return r.error();
            all.insert(all.end(), r->begin(), r->end());
            if (all.size() > cap) return make_error(errc::capacity_exceeded, "the matrix allows too many combinations to list", cfg.matrix.line);
        }
        for (const auto& m : cfg.models) {
            bool named = false;
            for (const auto& s : all)
                if (std::find(s.begin(), s.end(), m.id) != s.end()) { named = true; break; }
            if (!named) all.push_back({m.id});
        }
    } else {
        std::vector<group_def> groups = cfg.groups;
        group_def dflt;
        dflt.name = "(default)";
        for (const auto& m : cfg.models) {
            bool grouped = false;
            for (const auto& g : cfg.groups)
                if (std::find(g.members.begin(), g.members.end(), m.id) != g.members.end()) { grouped = true; break; }
            if (!grouped) dflt.members.push_back(m.id);
        }
        if (!dflt.members.empty()) groups.push_back(dflt);
        auto family = [](const group_def& g) {
            detail::model_sets f;
            if (g.members.empty()) return detail::model_sets(1);
            if (g.swap) for (const auto& m : g.members) f.push_back({m});
            else f.push_back(g.members);
            return f;
        };
        detail::model_sets common(1);
        for (const auto& g : groups) {
            if (g.exclusive && !g.persistent) continue;
            detail::model_sets next;
            if (!detail::product(common, family(g), next, cap))
                return make_error(errc::capacity_exceeded, "the groups allow too many combinations to list", g.line);
            common = std::move(next);
        }
        bool any_exclusive = false;
        for (const auto& g : groups) {
            if (!g.exclusive || g.persistent) continue;
            any_exclusive = true;
            detail::model_sets next;
            if (!detail::product(common, family(g), next, cap))
                return make_error(errc::capacity_exceeded, "the groups allow too many combinations to list", g.line);
            all.insert(all.end(), next.begin(), next.end());
            if (all.size() > cap) return make_error(errc::capacity_exceeded, "the groups allow too many combinations to list", g.line);
        }
        if (!any_exclusive) all = common;
    }
    detail::keep_maximal(all);
    for (auto& s : all)
        if (!s.empty()) out.sets.push_back(std::move(s));
    return out;
}

}  // namespace llamaplan::llama_swap

#endif  // LLAMAPLAN_LLAMA_SWAP_CONFIG_HPP
