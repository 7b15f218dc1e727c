// SPDX-License-Identifier: MIT
// A llama-swap `cmd` turned into the argv llama-swap starts, every argument traced to the bytes of the config that
// wrote it: `${env.X}` and macro expansion (llama-swap internal/config/macros.go), SanitizeCommand
// (internal/config/commands.go: split on '\n', drop whole-line '#' comments, a trailing '\' becomes a space) and
// shell-word splitting in the POSIX or Windows dialect of billziss-gh/golib shlex (no shell ever runs).
#ifndef LLAMAPLAN_LLAMA_SWAP_COMMAND_HPP
#define LLAMAPLAN_LLAMA_SWAP_COMMAND_HPP

#include <llamaplan/config.hpp>

#include <llamaplan/llama_swap/flags.hpp>
#include <llamaplan/llama_swap/yaml.hpp>
#include <llamaplan/result.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace llamaplan::inline LLAMAPLAN_ABI_TAG::llama_swap {

/// How llama-swap splits a command line: POSIX shell words, or Windows' CommandLineToArgvW rules on Windows.
enum class shell_dialect : std::uint8_t { posix, windows };

/// Name/value pairs (environment variables, reserved macro values).
using string_pairs = std::vector<std::pair<std::string, std::string>>;

/// What the caller knows that the config does not: no lookup of the process environment happens in this library.
struct command_options {
    shell_dialect dialect = shell_dialect::posix;  ///< the rules of the host llama-swap runs on
    string_pairs env;       ///< values for `${env.NAME}`; a referenced name missing here is a problem
    string_pairs reserved;  ///< values for `${PORT}`, `${PID}`, `${MODEL_ID}`; absent ones stay as written
    std::size_t max_expanded_bytes = 1u << 20;  ///< bound on a command after macro expansion (bytes)
};

/// A macro: its name and its decoded value, traced to the config.
struct macro_def {
    std::string name;    ///< the name used as `${name}`
    traced_text value;   ///< decoded value (`${env.X}` already substituted)
    std::size_t line = 0;///< 1-based line of the definition
    bool scalar = true;  ///< false when the value is a mapping or sequence (not interpolable)
};

/// One argv element and where the config wrote it.
struct arg_token {
    std::string value;      ///< the argument as the program receives it
    span source{};          ///< bytes of the config it comes from (quotes and escapes included)
    bool editable = true;   ///< false when those bytes also produce other arguments (a macro expanding to several
                            ///< words) or hide a dropped comment: it cannot be replaced without side effects
    bool from_macro = false;///< produced (at least partly) by a macro or `${env.X}`
};

/// A flag of the llama-server command line as llama.cpp reads it.
struct parsed_flag {
    flag_ref flag;          ///< the option (unknown: flag.option == llama_flag_count)
    std::size_t index = 0;  ///< argv index of the flag itself
    std::size_t values = 0; ///< number of values that follow it
};

/// A `cmd` analysed: its argv, whether it runs llama-server, its flags and model.
struct command_info {
    std::vector<arg_token> argv;     ///< the argv llama-swap would start
    bool llama_server = false;       ///< argv runs llama-server (possibly behind `env VAR=...`)
    std::size_t program = 0;         ///< argv index of the program
    std::vector<parsed_flag> flags;  ///< llama-server's arguments, in order
    std::string model_path;          ///< value of the last `-m` / `--model` (empty when absent)
    std::size_t model_index = 0;     ///< argv index of that value
    std::string problem;             ///< why this command cannot be planned or edited; empty when it can
    std::size_t line = 0;            ///< 1-based line of the `cmd` value in the config (set by model_command)
    std::vector<std::string> notes;  ///< things worth telling the user (unknown flags, duplicates)
    std::vector<span> dropped;       ///< config bytes of the comment lines SanitizeCommand drops
};

namespace detail {

[[nodiscard]] inline span cover(const traced_text& t, std::size_t b, std::size_t e) {
    span s{t.from[b].begin, t.from[b].end};
    for (std::size_t i = b; i < e; ++i) {
        if (t.from[i].begin < s.begin) s.begin = t.from[i].begin;
        if (t.from[i].end > s.end) s.end = t.from[i].end;
    }
    return s;
}

[[nodiscard]] inline bool is_macro_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

[[nodiscard]] inline const std::string* lookup(const string_pairs& p, std::string_view k) {
    for (const auto& kv : p)
        if (kv.first == k) return &kv.second;
    return nullptr;
}

}  // namespace detail

/// Substitutes `${env.NAME}` (NAME: [A-Za-z_][A-Za-z0-9_]*). llama-swap substitutes these in the raw file before
/// YAML parsing, escaping '\' and '"' (macros.go sanitizeEnvValueForYAML): inside a double-quoted scalar the escape
/// is undone by YAML, elsewhere it stays, which `double_quoted` reproduces. A missing name or a value with a line
/// break or NUL sets `problem`.
[[nodiscard]] inline traced_text substitute_env(const traced_text& in, const string_pairs& env, bool double_quoted,
                                               std::string& problem, std::vector<span>* refs = nullptr) {
    traced_text out;
    const std::string& s = in.text;
    std::size_t i = 0;
    while (i < s.size()) {
        if (s.compare(i, 6, "${env.") == 0) {
            std::size_t j = i + 6;
            const bool first_ok = j < s.size() && ((s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z') || s[j] == '_');
            while (j < s.size() && first_ok &&
                   ((s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z') || (s[j] >= '0' && s[j] <= '9') || s[j] == '_'))
                ++j;
            if (first_ok && j < s.size() && s[j] == '}') {
                const std::string name = s.substr(i + 6, j - i - 6);
                const std::string* v = detail::lookup(env, name);
                if (v == nullptr) {
                    if (problem.empty()) problem = "environment variable '" + name + "' is not set (pass it with the environment)";
                    return in;
                }
                if (v->find_first_of(std::string_view("\n\r\0", 3)) != std::string::npos) {
                    if (problem.empty()) problem = "environment variable '" + name + "' contains a line break or NUL";
                    return in;
                }
                const span src = detail::cover(in, i, j + 1);
                if (refs != nullptr) refs->push_back(src);
                for (char c : *v) {
                    if (!double_quoted && (c == '\\' || c == '"')) out.push('\\', src);
                    out.push(c, src);
                }
                i = j + 1;
                continue;
            }
        }
        out.push(s[i], in.from[i]);
        ++i;
    }
    return out;
}

/// Expands `${name}` references ([a-zA-Z0-9_-]+) with `macros` (searched from the back, so a later definition of
/// the same name wins), then the reserved PORT / PID / MODEL_ID from `reserved` (left as written when absent).
/// Expanded bytes trace to the whole reference. An unknown name or an expansion over `max_bytes` sets `problem`.
[[nodiscard]] inline traced_text expand_macros(const traced_text& in, const std::vector<macro_def>& macros,
                                              const string_pairs& reserved, std::size_t max_bytes,
                                              std::string& problem, std::vector<span>* refs = nullptr) {
    traced_text out;
    const std::string& s = in.text;
    std::size_t i = 0;
    while (i < s.size()) {
        if (s[i] == '$' && i + 1 < s.size() && s[i + 1] == '{') {
            std::size_t j = i + 2;
            while (j < s.size() && detail::is_macro_char(s[j])) ++j;
            if (j > i + 2 && j < s.size() && s[j] == '}') {
                const std::string_view name(s.data() + i + 2, j - i - 2);
                const traced_text* value = nullptr;
                for (std::size_t k = macros.size(); k-- > 0;)
                    if (macros[k].name == name) { value = &macros[k].value; break; }
                const std::string* rv = nullptr;
                if (value == nullptr) {
                    rv = detail::lookup(reserved, name);
                    if (rv == nullptr) {
                        if (name != "PORT" && name != "PID" && name != "MODEL_ID") {
                            if (problem.empty()) problem = "unknown macro '${" + std::string(name) + "}'";
                            return in;
                        }
                    }
                }
                if (value != nullptr || rv != nullptr) {
                    const span src = detail::cover(in, i, j + 1);
                    if (refs != nullptr) refs->push_back(src);
                    const std::string& text = value != nullptr ? value->text : *rv;
                    if (out.text.size() + text.size() > max_bytes) {
                        if (problem.empty()) problem = "command is too long after macro expansion";
                        return in;
                    }
                    for (char c : text) out.push(c, src);
                    i = j + 1;
                    continue;
                }
            }
        }
        if (out.text.size() + 1 > max_bytes) {
            if (problem.empty()) problem = "command is too long after macro expansion";
            return in;
        }
        out.push(s[i], in.from[i]);
        ++i;
    }
    return out;
}

/// llama-swap's SanitizeCommand: each line whose trimmed text starts with '#' is dropped; a line whose trimmed
/// text ends with '\' becomes that text without the '\' plus a space; lines are re-joined with '\n'. The config
/// bytes of dropped comment lines are appended to `dropped`.
[[nodiscard]] inline traced_text sanitize_command(const traced_text& in, std::vector<span>& dropped) {
    traced_text out;
    const std::string& s = in.text;
    auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r'; };
    std::size_t b = 0;
    bool first = true;
    while (b <= s.size()) {
        std::size_t e = s.find('\n', b);
        const bool last = e == std::string::npos;
        if (last) e = s.size();
        std::size_t tb = b, te = e;
        while (tb < te && is_space(s[tb])) ++tb;
        while (te > tb && is_space(s[te - 1])) --te;
        if (tb < te && s[tb] == '#') {
            if (b < e) dropped.push_back(detail::cover(in, b, e));
        } else {
            if (!first) out.push('\n', in.from[b - 1]);
            first = false;
            if (te > tb && s[te - 1] == '\\') {
                for (std::size_t i = tb; i + 1 < te; ++i) out.push(s[i], in.from[i]);
                out.push(' ', in.from[te - 1]);
            } else {
                for (std::size_t i = b; i < e; ++i) out.push(s[i], in.from[i]);
            }
        }
        if (last) break;
        b = e + 1;
    }
    return out;
}

/// Splits a sanitized command into words (golib shlex semantics). `unterminated` is set when a quote is not closed
/// (shlex then keeps the partial word; llama-swap would start the program with it).
[[nodiscard]] inline std::vector<arg_token> shell_split(const traced_text& in, shell_dialect dialect, bool& unterminated) {
    std::vector<arg_token> out;
    const std::string& s = in.text;
    unterminated = false;
    std::string word;
    bool in_word = false;
    char quote = 0;
    std::size_t first = 0;
    auto finish = [&](std::size_t last_exclusive) {
        arg_token t;
        t.value = std::move(word);
        t.source = detail::cover(in, first, last_exclusive);
        out.push_back(std::move(t));
        word.clear();
        in_word = false;
    };
    auto start = [&](std::size_t i) {
        if (!in_word) { in_word = true; first = i; word.clear(); }
    };
    const std::size_t n = s.size();
    std::size_t i = 0;
    if (dialect == shell_dialect::posix) {
        while (i < n) {
            const char c = s[i];
            if (quote == '\'') {
                if (c == '\'') quote = 0; else word.push_back(c);
                ++i;
                continue;
            }
            if (c == '\\') {
                const bool at_end = i + 1 >= n;
                const char d = at_end ? '\0' : s[i + 1];
                if (quote == '"') {
                    if (at_end || d == '\n') { i += at_end ? 1 : 2; continue; }        // line continuation
                    if (d == '$' || d == '`' || d == '"' || d == '\\') { word.push_back(d); i += 2; continue; }
                    word.push_back(c);                                                 // backslash kept
                    ++i;
                    continue;
                }
                if (at_end || d == '\n') { i += at_end ? 1 : 2; continue; }
                start(i);
                word.push_back(d);
                i += 2;
                continue;
            }
            if (quote == '"') {
                if (c == '"') quote = 0; else word.push_back(c);
                ++i;
                continue;
            }
            if (c == '"' || c == '\'') { start(i); quote = c; ++i; continue; }
            if (c == ' ' || c == '\t' || c == '\n') {
                if (in_word) finish(i);
                ++i;
                continue;
            }
            start(i);
            word.push_back(c);
            ++i;
        }
    } else {
        // Windows: only '"' quotes; 2n backslashes + '"' give n backslashes and a quote toggle, 2n+1 give n
        // backslashes and a literal '"'; other backslashes are literal; "" inside quotes is a literal '"'.
        while (i < n) {
            const char c = s[i];
            if (c == '\\') {
                std::size_t k = i;
                while (k < n && s[k] == '\\') ++k;
                const std::size_t count = k - i;
                start(i);
                if (k < n && s[k] == '"') {
                    word.append(count / 2, '\\');
                    if (count % 2 == 1) { word.push_back('"'); i = k + 1; }
                    else i = k;  // the quote toggles below
                } else {
                    word.append(count, '\\');
                    i = k;
                }
                continue;
            }
            if (c == '"') {
                start(i);
                if (quote == '"' && i + 1 < n && s[i + 1] == '"') { word.push_back('"'); i += 2; continue; }
                quote = quote == '"' ? 0 : '"';
                ++i;
                continue;
            }
            if (quote == 0 && (c == ' ' || c == '\t' || c == '\n' || c == '\r')) {
                if (in_word) finish(i);
                ++i;
                continue;
            }
            start(i);
            word.push_back(c);
            ++i;
        }
    }
    if (quote != 0) unterminated = true;
    if (in_word) finish(n);
    return out;
}

/// The file name of a program path (after the last '/' or '\'), lower-cased (Windows file names ignore case),
/// without a trailing ".exe".
[[nodiscard]] inline std::string program_name(std::string_view path) {
    const std::size_t slash = path.find_last_of("/\\");
    std::string base(slash == std::string_view::npos ? path : path.substr(slash + 1));
    for (char& ch : base)
        if (ch >= 'A' && ch <= 'Z') ch = char(ch - 'A' + 'a');
    if (base.size() > 4 && base.compare(base.size() - 4, 4, ".exe") == 0) base.resize(base.size() - 4);
    return base;
}

/// Walks an argv the way llama-server's parser does and fills `llama_server`, `program`, `flags`, `model_path`,
/// `problem` and `notes` of `info` (whose `argv` is already set).
inline void analyze_argv(command_info& info) {
    const auto& a = info.argv;
    std::size_t i = 0;
    if (a.empty()) { info.problem = "empty command"; return; }
    if (program_name(a[0].value) == "env") {
        i = 1;
        while (i < a.size() && a[i].value.find('=') != std::string::npos && a[i].value[0] != '-') ++i;
        if (i < a.size() && !a[i].value.empty() && a[i].value[0] == '-') {
            info.problem = "runs 'env' with options; only 'env NAME=VALUE... llama-server' is understood";
            return;
        }
    }
    if (i >= a.size()) { info.problem = "no program after 'env'"; return; }
    info.program = i;
    if (program_name(a[i].value) != "llama-server") {
        info.problem = "not a llama-server command (runs '" + a[i].value + "'): left as written";
        return;
    }
    info.llama_server = true;
    bool has_download = false;
    std::size_t model_flag = 0;
    bool have_model = false;
    for (std::size_t j = i + 1; j < a.size();) {
        const std::string& v = a[j].value;
        parsed_flag f;
        f.index = j;
        f.flag = find_flag(v);
        if (f.flag.known()) {
            f.values = llama_flags[f.flag.option].arity;
            if (j + f.values >= a.size()) {
                info.problem = "flag '" + v + "' has no value";
                return;
            }
            const auto& names = llama_flags[f.flag.option].names;
            if (names[0] == "-m") { have_model = true; model_flag = j; }
            if (names[0] == "-hf" || names[0] == "-mu" || names[0] == "-dr" || names[0] == "-hfr") has_download = true;
        } else if (!v.empty() && v[0] == '-') {
            f.values = (j + 1 < a.size() && !(a[j + 1].value.size() > 1 && a[j + 1].value[0] == '-')) ? 1 : 0;
            info.notes.push_back("unknown flag '" + v + "' (not in llama.cpp 3f545bec); assumed to take " +
                                 std::to_string(f.values) + " value(s)");
        } else {
            info.notes.push_back("argument '" + v + "' is not a flag; llama-server will reject it");
        }
        info.flags.push_back(f);
        j += 1 + f.values;
    }
    if (have_model) {
        info.model_index = model_flag + 1;
        info.model_path = a[model_flag + 1].value;
    } else if (has_download) {
        info.problem = "the model is downloaded (-hf / -mu / -dr), not a local GGUF file: left as written";
    } else {
        info.problem = "no -m / --model in the command";
    }
}

/// Splits a command string exactly as llama-swap does (no macros), for callers that only need the words.
[[nodiscard]] inline std::vector<std::string> split_command(std::string_view cmd, shell_dialect dialect = shell_dialect::posix) {
    traced_text t;
    for (std::size_t i = 0; i < cmd.size(); ++i) t.push(cmd[i], {i, i + 1});
    std::vector<span> dropped;
    bool unterminated = false;
    std::vector<std::string> out;
    for (auto& tok : shell_split(sanitize_command(t, dropped), dialect, unterminated)) out.push_back(std::move(tok.value));
    return out;
}

/// Turns a decoded `cmd` value into argv and analyses it: env substitution (`double_quoted`: the scalar's style),
/// macro expansion (global macros first, then the model's), SanitizeCommand, shell words; marks each argument
/// editable or not; then analyze_argv.
[[nodiscard]] inline command_info analyze_command(const traced_text& cmd, bool double_quoted,
                                                  const std::vector<macro_def>& macros, const command_options& opt) {
    command_info info;
    std::string problem;
    std::vector<span> refs;
    const traced_text env = substitute_env(cmd, opt.env, double_quoted, problem, &refs);
    const traced_text expanded = expand_macros(env, macros, opt.reserved, opt.max_expanded_bytes, problem, &refs);
    if (!problem.empty()) { info.problem = problem; return info; }
    const traced_text clean = sanitize_command(expanded, info.dropped);
    bool unterminated = false;
    info.argv = shell_split(clean, opt.dialect, unterminated);
    for (auto& t : info.argv)
        for (const auto& r : refs)
            if (r.begin < t.source.end && r.end > t.source.begin) t.from_macro = true;
    for (std::size_t k = 0; k + 1 < info.argv.size(); ++k) {
        if (info.argv[k].source.end > info.argv[k + 1].source.begin) {
            info.argv[k].editable = false;
            info.argv[k + 1].editable = false;
        }
    }
    for (auto& t : info.argv)
        for (const auto& d : info.dropped)
            if (d.begin < t.source.end && d.end > t.source.begin && d.begin >= t.source.begin) t.editable = false;
    if (unterminated) {
        info.problem = "unterminated quote in the command";
        return info;
    }
    analyze_argv(info);
    return info;
}

}  // namespace llamaplan::llama_swap

#endif  // LLAMAPLAN_LLAMA_SWAP_COMMAND_HPP
