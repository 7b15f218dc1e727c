// SPDX-License-Identifier: MIT
// Rewrites the planning flags of one model's `cmd` in a llama-swap config, in place: a value is replaced where it
// is written, a flag is deleted with its values (whole lines in one-flag-per-line layouts), new flags go after the
// last argument in the layout the command already uses. Every other byte of the file stays as it was. The result is
// parsed again and its argv compared with the intended one; anything that would come out differently is refused.
#ifndef LLAMAPLAN_LLAMA_SWAP_REWRITE_HPP
#define LLAMAPLAN_LLAMA_SWAP_REWRITE_HPP

#include <llamaplan/config.hpp>

#include <llamaplan/llama_swap/command.hpp>
#include <llamaplan/llama_swap/config.hpp>
#include <llamaplan/llama_swap/flags.hpp>
#include <llamaplan/llama_swap/yaml.hpp>
#include <llamaplan/result.hpp>

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace llamaplan::inline LLAMAPLAN_ABI_TAG::llama_swap {

/// A flag to set: any llama.cpp spelling (`-c`, `--ctx-size`, `--no-mmap`) and its values (as many as it takes).
struct flag_setting {
    std::string flag;                 ///< spelling written when the flag is added
    std::vector<std::string> values;  ///< its values, unquoted
};

/// What to change in a command. Every option named in `remove` or `set` loses all its occurrences (any spelling,
/// either polarity), except that the k-th setting of an option rewrites its k-th occurrence in place (keeping the
/// spelling written there); settings beyond the existing occurrences are appended.
struct cmd_edits {
    std::vector<std::string> remove;  ///< options to drop (any spelling); planning_flags lists the usual ones
    std::vector<flag_setting> set;    ///< options to set, in the order they should be appended
};

/// The outcome of rewrite_cmd.
struct cmd_rewrite {
    std::string text;                   ///< the whole config after the edit (the input when nothing changed)
    bool changed = false;               ///< text differs from the input
    std::string skipped;                ///< why the model was left as written; empty when it was handled
    std::vector<std::string> argv_before;  ///< the model's argv before
    std::vector<std::string> argv_after;   ///< the model's argv after (equal to argv_before when skipped)
};

namespace detail {

struct text_edit {
    std::size_t begin = 0, end = 0;  ///< bytes replaced
    std::string with;                ///< replacement
};

[[nodiscard]] inline bool shell_bare(std::string_view v, shell_dialect d) {
    if (v.empty()) return false;
    for (char c : v) {
        if (d == shell_dialect::windows) {
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '"') return false;
        } else {
            const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                            c == '-' || c == '.' || c == '/' || c == ':' || c == ',' || c == '=' || c == '+' ||
                            c == '@' || c == '%' || static_cast<unsigned char>(c) >= 0x80;
            if (!ok) return false;
        }
    }
    return true;
}

/// A value as one shell word; `prefer` is the quote the user wrote around the value being replaced (0 if none).
[[nodiscard]] inline std::string shell_word(std::string_view v, shell_dialect d, char prefer, bool avoid_single) {
    if (d == shell_dialect::windows) {
        if (prefer == 0 && shell_bare(v, d)) return std::string(v);
        std::string out = "\"";
        std::size_t slashes = 0;
        for (char c : v) {
            if (c == '\\') { ++slashes; continue; }
            if (c == '"') { out.append(slashes * 2 + 1, '\\'); out.push_back('"'); slashes = 0; continue; }
            out.append(slashes, '\\');
            slashes = 0;
            out.push_back(c);
        }
        out.append(slashes * 2, '\\');
        out.push_back('"');
        return out;
    }
    if (prefer == 0 && shell_bare(v, d)) return std::string(v);
    const bool has_single = v.find('\'') != std::string_view::npos;
    if (!has_single && (prefer == '\'' || (prefer == 0 && !avoid_single))) return "'" + std::string(v) + "'";
    std::string out = "\"";
    for (char c : v) {
        if (c == '\\' || c == '"' || c == '$' || c == '`') out.push_back('\\');
        out.push_back(c);
    }
    out.push_back('"');
    return out;
}

/// Shell text written inside a YAML scalar of `style`; false when the style cannot hold it.
[[nodiscard]] inline bool yaml_fragment(std::string_view s, scalar_style style, std::string& out) {
    out.clear();
    if (s.find('\n') != std::string_view::npos) return false;
    switch (style) {
        case scalar_style::double_quoted:
            for (char c : s) {
                if (c == '\\' || c == '"') out.push_back('\\');
                else if (static_cast<unsigned char>(c) < 0x20) return false;
                out.push_back(c);
            }
            return true;
        case scalar_style::single_quoted:
            for (char c : s) {
                if (c == '\'') out.push_back('\'');
                out.push_back(c);
            }
            return true;
        case scalar_style::plain:
            if (!s.empty() && s[0] == '#') return false;
            if (s.find(" #") != std::string_view::npos || s.find("\t#") != std::string_view::npos) return false;
            if (s.find(": ") != std::string_view::npos || (!s.empty() && s.back() == ':')) return false;
            out.assign(s);
            return true;
        case scalar_style::literal:
        case scalar_style::folded:
            out.assign(s);
            return true;
    }
    return false;
}

[[nodiscard]] inline std::size_t line_begin(std::string_view t, std::size_t p) {
    while (p > 0 && t[p - 1] != '\n') --p;
    return p;
}
[[nodiscard]] inline std::size_t line_finish(std::string_view t, std::size_t p) {
    while (p < t.size() && t[p] != '\n') ++p;
    return p;
}
[[nodiscard]] inline bool blank(std::string_view t, std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i)
        if (t[i] != ' ' && t[i] != '\t') return false;
    return true;
}
/// True when [b, e) is blanks, optionally one '\' (a line continuation) and blanks.
[[nodiscard]] inline bool blank_or_continuation(std::string_view t, std::size_t b, std::size_t e) {
    std::size_t i = b;
    while (i < e && (t[i] == ' ' || t[i] == '\t')) ++i;
    if (i < e && t[i] == '\\') ++i;
    return blank(t, i, e);
}
[[nodiscard]] inline bool ends_with_continuation(std::string_view t, std::size_t line_start) {
    std::size_t e = line_finish(t, line_start);
    while (e > line_start && (t[e - 1] == ' ' || t[e - 1] == '\t')) --e;
    return e > line_start && t[e - 1] == '\\';
}

/// The bytes to delete for arguments written at [a, b): their whole line(s) when nothing else is on them (inside
/// the scalar, never its first line), else the arguments and the blanks that separated them from their neighbour.
[[nodiscard]] inline text_edit deletion(std::string_view t, std::size_t a, std::size_t b, std::size_t scalar_begin) {
    const std::size_t ls = line_begin(t, a);
    const std::size_t le = line_finish(t, b);
    if (ls > scalar_begin && blank(t, ls, a) && blank_or_continuation(t, b, le)) {
        if (le < t.size()) return {ls, le + 1, {}};
        return {ls > 0 ? ls - 1 : ls, le, {}};
    }
    if (!blank(t, ls, a)) {
        std::size_t s = a;
        while (s > ls && (t[s - 1] == ' ' || t[s - 1] == '\t')) --s;
        return {s, b, {}};
    }
    std::size_t e = b;
    while (e < le && (t[e] == ' ' || t[e] == '\t')) ++e;
    return {a, e, {}};
}

[[nodiscard]] inline std::vector<std::string> values_of(const command_info& c) {
    std::vector<std::string> v;
    for (const auto& a : c.argv) v.push_back(a.value);
    return v;
}

[[nodiscard]] inline std::string apply(std::string_view t, std::vector<text_edit> edits) {
    std::sort(edits.begin(), edits.end(), [](const text_edit& x, const text_edit& y) {
        return x.begin != y.begin ? x.begin < y.begin : x.end < y.end;
    });
    std::string out;
    out.reserve(t.size() + 256);
    std::size_t pos = 0;
    for (const auto& e : edits) {
        if (e.begin < pos) continue;  // merged into a previous deletion
        out.append(t.substr(pos, e.begin - pos));
        out.append(e.with);
        pos = e.end;
    }
    out.append(t.substr(pos));
    return out;
}

/// Merges overlapping or touching deletions so no byte is edited twice.
inline void merge_deletions(std::vector<text_edit>& d) {
    std::sort(d.begin(), d.end(), [](const text_edit& x, const text_edit& y) { return x.begin < y.begin; });
    std::vector<text_edit> out;
    for (auto& e : d) {
        if (!out.empty() && e.begin <= out.back().end && e.with.empty() && out.back().with.empty())
            out.back().end = std::max(out.back().end, e.end);
        else
            out.push_back(std::move(e));
    }
    d = std::move(out);
}

/// The edits for one model, in the coordinates of the original text, and the argv they should produce.
struct model_plan {
    std::vector<text_edit> edits;      ///< byte edits (deletions merged)
    std::vector<std::string> before;   ///< argv before
    std::vector<std::string> expect;   ///< argv intended after
    std::string skipped;               ///< why the model is left as written
    std::size_t line = 0;              ///< 1-based line of the `cmd`
};

/// Plans the edits of one model (see rewrite_config). An unknown flag or a wrong value count is an error.
[[nodiscard]] inline result<model_plan> plan_model(std::string_view t, const swap_config& cfg, const model_entry& mdl,
                                                   const cmd_edits& edits, const command_options& opt) {
    const model_entry* m = &mdl;
    model_plan out;
    const command_info info = model_command(cfg, *m, opt);
    out.line = info.line;
    out.before = values_of(info);
    out.expect = out.before;
    // the options touched, and the settings for each
    std::vector<std::size_t> targets;
    auto add_target = [&](std::size_t o) {
        if (std::find(targets.begin(), targets.end(), o) == targets.end()) targets.push_back(o);
    };
    for (const auto& r : edits.remove) {
        const flag_ref f = find_flag(r);
        if (!f.known()) return make_error(errc::invalid_argument, "an edit names a flag llama.cpp does not have", 0);
        add_target(f.option);
    }
    std::vector<flag_ref> set_flags;
    for (const auto& s : edits.set) {
        const flag_ref f = find_flag(s.flag);
        if (!f.known()) return make_error(errc::invalid_argument, "an edit names a flag llama.cpp does not have", 0);
        if (s.values.size() != llama_flags[f.option].arity)
            return make_error(errc::invalid_argument, "an edit gives a flag the wrong number of values", 0);
        add_target(f.option);
        set_flags.push_back(f);
    }
    if (!info.problem.empty()) { out.skipped = info.problem; return out; }
    auto skip = [&](std::string why) {
        model_plan s;
        s.line = out.line;
        s.before = out.before;
        s.expect = out.before;
        s.skipped = std::move(why);
        return s;
    };

    const auto& argv = info.argv;
    std::vector<text_edit> dels, reps;
    std::vector<bool> gone(argv.size(), false);
    std::vector<std::string> new_value(argv.size());
    std::vector<bool> replaced(argv.size(), false);
    std::vector<const flag_setting*> appended;
    // the shell quote written around a word, seen through the scalar's own escaping (\" in "...", '' in '...')
    auto quote_of = [&](const arg_token& a) -> char {
        const std::string_view s = t.substr(a.source.begin, a.source.end - a.source.begin);
        if (m->cmd_style == scalar_style::double_quoted && s.size() >= 4 && s.substr(0, 2) == "\\\"" &&
            s.substr(s.size() - 2) == "\\\"")
            return '"';
        if (m->cmd_style == scalar_style::single_quoted && s.size() >= 4 && s.substr(0, 2) == "''" &&
            s.substr(s.size() - 2) == "''")
            return '\'';
        return s.size() >= 2 && (s[0] == '"' || s[0] == '\'') && s.back() == s[0] ? s[0] : 0;
    };
    auto encode = [&](std::string_view v, char prefer, std::string& into) {
        const std::string word = shell_word(v, opt.dialect, prefer, m->cmd_style == scalar_style::single_quoted);
        return yaml_fragment(word, m->cmd_style, into);
    };
    const std::string macro_note = " comes from a macro shared with other arguments: edit the macro";
    for (const std::size_t o : targets) {
        std::vector<const parsed_flag*> occ;
        for (const auto& f : info.flags)
            if (f.flag.option == o) occ.push_back(&f);
        std::vector<const flag_setting*> want;
        std::vector<bool> want_negated;
        for (std::size_t k = 0; k < edits.set.size(); ++k)
            if (set_flags[k].option == o) {
                want.push_back(&edits.set[k]);
                want_negated.push_back(set_flags[k].negated);
            }
        for (std::size_t k = 0; k < occ.size(); ++k) {
            const parsed_flag& f = *occ[k];
            const std::string& name = argv[f.index].value;
            if (k < want.size()) {
                const flag_setting& w = *want[k];
                if (llama_flags[o].arity == 0) {
                    if (want_negated[k] != f.flag.negated) {
                        if (!argv[f.index].editable) return skip("'" + name + "'" + macro_note);
                        std::string enc;
                        if (!encode(w.flag, 0, enc)) return skip("cannot write '" + w.flag + "' in this cmd's YAML style");
                        reps.push_back({argv[f.index].source.begin, argv[f.index].source.end, enc});
                        replaced[f.index] = true;
                        new_value[f.index] = w.flag;
                    }
                } else {
                    for (std::size_t v = 0; v < f.values; ++v) {
                        const std::size_t ai = f.index + 1 + v;
                        if (argv[ai].value == w.values[v]) continue;
                        if (!argv[ai].editable) return skip("the value of '" + name + "'" + macro_note);
                        std::string enc;
                        if (!encode(w.values[v], quote_of(argv[ai]), enc))
                            return skip("cannot write the value of '" + name + "' in this cmd's YAML style");
                        reps.push_back({argv[ai].source.begin, argv[ai].source.end, enc});
                        replaced[ai] = true;
                        new_value[ai] = w.values[v];
                    }
                }
            } else {
                for (std::size_t v = 0; v <= f.values; ++v) {
                    if (!argv[f.index + v].editable) return skip("'" + name + "'" + macro_note);
                    gone[f.index + v] = true;
                }
                const std::size_t a = argv[f.index].source.begin, b = argv[f.index + f.values].source.end;
                for (const auto& d : info.dropped)
                    if (d.begin >= a && d.end <= b) return skip("a comment line sits inside '" + name + "' and its value");
                dels.push_back(deletion(t, a, b, m->cmd_where.begin));
            }
        }
        for (std::size_t k = occ.size(); k < want.size(); ++k) appended.push_back(want[k]);
    }
    // appended settings keep the order of edits.set (the pointers point into it)
    std::sort(appended.begin(), appended.end(), [](const flag_setting* x, const flag_setting* y) { return x < y; });

    std::vector<std::string> expect;
    for (std::size_t i = 0; i < argv.size(); ++i)
        if (!gone[i]) expect.push_back(replaced[i] ? new_value[i] : argv[i].value);
    for (const auto* s : appended) {
        expect.push_back(s->flag);
        for (const auto& v : s->values) expect.push_back(v);
    }
    if (reps.empty() && dels.empty() && appended.empty()) return out;

    // the last argument that stays (the program always does)
    std::size_t last = argv.size();
    while (last > 0 && gone[last - 1]) --last;
    const arg_token& tail = argv[last - 1];
    const bool trailing_deleted = last < argv.size();
    // a '\' after the tail would be left dangling at the end of the command once everything after it is gone;
    // drop it unless the command already ended that way
    if (trailing_deleted && m->cmd_style == scalar_style::literal) {
        auto continuation_after = [&](std::size_t e, std::size_t& bs) {
            const std::size_t le = line_finish(t, e);
            std::size_t i = e;
            while (i < le && (t[i] == ' ' || t[i] == '\t')) ++i;
            if (i >= le || t[i] != '\\' || !blank(t, i + 1, le)) return false;
            bs = i;
            return true;
        };
        std::size_t bs = 0, ignored = 0;
        if (continuation_after(tail.source.end, bs) && !continuation_after(argv.back().source.end, ignored))
            dels.push_back({tail.source.end, bs + 1, {}});
    }
    merge_deletions(dels);
    std::vector<text_edit> all = dels;
    for (auto& r : reps) {
        for (const auto& d : dels)
            if (r.begin < d.end && r.end > d.begin) return skip("overlapping edits");
        all.push_back(r);
    }
    if (!appended.empty()) {
        std::size_t at = tail.source.end;
        const std::size_t ls = line_begin(t, tail.source.begin);
        std::string indent;
        for (std::size_t i = ls; i < t.size() && (t[i] == ' ' || t[i] == '\t'); ++i) indent.push_back(t[i]);
        // layout: in a literal block whose arguments already run over several lines, one flag per new line,
        // joined with '\' when the line before the tail ends with one; otherwise on the tail's line
        enum { same_line, continuation, newline } layout = same_line;
        if (m->cmd_style == scalar_style::literal && ls > m->cmd_where.begin) {
            const std::size_t prev_ls = line_begin(t, ls - 1);
            if (prev_ls > m->cmd_where.begin) layout = ends_with_continuation(t, prev_ls) ? continuation : newline;
        }
        std::string ins;
        for (const auto* s : appended) {
            std::string group, enc;
            if (!encode(s->flag, 0, enc)) return skip("cannot write '" + s->flag + "' in this cmd's YAML style");
            group = enc;
            for (const auto& v : s->values) {
                if (!encode(v, 0, enc)) return skip("cannot write the value of '" + s->flag + "' in this cmd's YAML style");
                group += " " + enc;
            }
            if (layout == continuation) ins += " \\\n" + indent + group;
            else if (layout == newline) ins += "\n" + indent + group;
            else ins += " " + group;
        }
        for (const auto& d : dels)
            if (d.begin < at && d.end > at) return skip("overlapping edits");
        all.push_back({at, at, ins});
    }
    for (const auto& e : all)
        if (e.begin < m->cmd_where.begin || e.end > m->cmd_where.end + 1) return skip("an edit would leave the cmd value");
    out.edits = std::move(all);
    out.expect = std::move(expect);
    return out;
}

}  // namespace detail

/// What happened to one model in rewrite_config.
struct model_rewrite {
    std::string id;                        ///< the model ID
    std::size_t line = 0;                  ///< 1-based line of its `cmd` (of its ID when it has none)
    bool changed = false;                  ///< its cmd was rewritten
    std::string skipped;                   ///< why it was left as written; empty when handled
    std::vector<std::string> argv_before;  ///< argv before
    std::vector<std::string> argv_after;   ///< argv after (argv_before when skipped or unchanged)
};

/// The outcome of rewrite_config.
struct config_rewrite {
    std::string text;                   ///< the whole config after the edits
    bool changed = false;               ///< text differs from the input
    std::vector<model_rewrite> models;  ///< one per requested model, in request order
};

/// Rewrites the `cmd` of several models at once (see cmd_edits for what an edit does). Each model whose command
/// cannot be edited safely — not llama-server, no local model path, a flag to change written by a macro shared with
/// other arguments, a comment inside a flag, a value the scalar's style cannot hold, or a result that would not
/// parse back to the intended argv — is left as written with `skipped` saying why; the others are rewritten. The
/// edited text is parsed again: every rewritten model must give exactly the intended argv and every other `cmd`
/// must be unchanged. Errors: the config does not parse (where = line), a model ID is unknown, an edit names an
/// unknown flag or gives the wrong number of values.
[[nodiscard]] inline result<config_rewrite> rewrite_config(std::string_view config_text,
                                                          const std::vector<std::pair<std::string, cmd_edits>>& plan,
                                                          const command_options& opt = {}) {
    auto cfg = parse_config(config_text);
    if (!cfg) return cfg.error();
    config_rewrite out;
    std::vector<detail::model_plan> plans;
    for (std::size_t i = 0; i < plan.size(); ++i)
        for (std::size_t j = 0; j < i; ++j)
            if (plan[i].first == plan[j].first) return make_error(errc::invalid_argument, "a model ID is listed twice", i);
    for (const auto& [id, edits] : plan) {
        const model_entry* m = cfg->find(id);
        if (m == nullptr) return make_error(errc::not_found, "no such model ID in the config", 0);
        auto p = detail::plan_model(config_text, *cfg, *m, edits, opt);
        if (!p) return p.error();
        plans.push_back(std::move(*p));
    }
    auto compose = [&](const std::vector<bool>& use) {
        std::vector<detail::text_edit> all;
        for (std::size_t i = 0; i < plans.size(); ++i)
            if (use[i]) all.insert(all.end(), plans[i].edits.begin(), plans[i].edits.end());
        return detail::apply(config_text, all);
    };
    // checks `text`; returns false when it does not even parse, else marks each used model that went wrong
    auto verify = [&](const std::string& text, const std::vector<bool>& use, std::vector<std::string>& why) {
        auto c2 = parse_config(text);
        if (!c2 || c2->models.size() != cfg->models.size()) return false;
        for (std::size_t i = 0; i < cfg->models.size(); ++i)
            if (c2->models[i].id != cfg->models[i].id) return false;
        for (std::size_t i = 0; i < cfg->models.size(); ++i) {
            const auto& id = cfg->models[i].id;
            std::size_t k = plans.size();
            for (std::size_t j = 0; j < plan.size(); ++j)
                if (plan[j].first == id && use[j] && !plans[j].edits.empty()) k = j;
            if (k == plans.size()) {
                if (c2->models[i].cmd.text != cfg->models[i].cmd.text) return false;  // not ours to change
                continue;
            }
            const command_info after = model_command(*c2, c2->models[i], opt);
            if (!after.problem.empty() || detail::values_of(after) != plans[k].expect)
                why[k] = "the edited cmd would not give the intended arguments";
        }
        return true;
    };
    std::vector<bool> use(plans.size());
    for (std::size_t i = 0; i < plans.size(); ++i) use[i] = plans[i].skipped.empty() && !plans[i].edits.empty();
    std::string text = compose(use);
    std::vector<std::string> why(plans.size());
    if (!verify(text, use, why)) {
        // find the culprits one by one (only on this failure path is the cost models x file size)
        for (std::size_t i = 0; i < plans.size(); ++i) {
            if (!use[i]) continue;
            std::vector<bool> one(plans.size(), false);
            one[i] = true;
            std::vector<std::string> w(plans.size());
            if (!verify(compose(one), one, w)) why[i] = "the edit could not be written without changing other YAML";
            else if (!w[i].empty()) why[i] = w[i];
        }
    }
    bool dropped = false;
    for (std::size_t i = 0; i < plans.size(); ++i)
        if (use[i] && !why[i].empty()) { use[i] = false; plans[i].skipped = why[i]; dropped = true; }
    if (dropped) {
        text = compose(use);
        std::vector<std::string> w(plans.size());
        if (!verify(text, use, w)) return make_error(errc::unsupported, "the edits could not be combined safely", 0);
        for (std::size_t i = 0; i < plans.size(); ++i)
            if (use[i] && !w[i].empty()) return make_error(errc::unsupported, "the edits could not be combined safely", 0);
    }
    for (std::size_t i = 0; i < plans.size(); ++i) {
        model_rewrite r;
        r.id = plan[i].first;
        r.line = plans[i].line;
        r.skipped = plans[i].skipped;
        r.argv_before = plans[i].before;
        r.changed = use[i];
        r.argv_after = use[i] ? plans[i].expect : plans[i].before;
        out.models.push_back(std::move(r));
    }
    out.changed = text != config_text;
    out.text = std::move(text);
    return out;
}

/// Rewrites one model's `cmd` (rewrite_config with a single entry).
[[nodiscard]] inline result<cmd_rewrite> rewrite_cmd(std::string_view config_text, std::string_view model_id,
                                                    const cmd_edits& edits, const command_options& opt = {}) {
    auto r = rewrite_config(config_text, {{std::string(model_id), edits}}, opt);
    if (!r) return r.error();
    cmd_rewrite out;
    out.text = std::move(r->text);
    out.changed = r->changed;
    out.skipped = r->models[0].skipped;
    out.argv_before = r->models[0].argv_before;
    out.argv_after = r->models[0].argv_after;
    return out;
}

}  // namespace llamaplan::llama_swap

#endif  // LLAMAPLAN_LLAMA_SWAP_REWRITE_HPP
