// SPDX-License-Identifier: MIT
// The llama-swap adapter: YAML subset, cmd -> argv as llama-swap builds it, in-place rewrites, side-by-side sets,
// diff, atomic writes, hostile input. Expected texts are written by hand from llama-swap's and YAML's rules.
#include <doctest/doctest.h>

#include <llamaplan/llama_swap.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#if defined(__unix__) || defined(__APPLE__)
#include <sys/stat.h>
#include <unistd.h>
#endif

using namespace llamaplan::llama_swap;
using llamaplan::errc;

namespace {

using words = std::vector<std::string>;

std::string slurp(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

cmd_edits planning(std::vector<flag_setting> set) {
    cmd_edits e;
    for (auto f : planning_flags) e.remove.emplace_back(f);
    e.set = std::move(set);
    return e;
}

std::string fixture(const char* name) { return slurp(std::string(LLAMAPLAN_FIXTURES) + "/llama_swap/" + name); }

}  // namespace

TEST_SUITE("llama_swap yaml") {

TEST_CASE("yaml: scalar styles decode as YAML 1.2 says") {
    const std::string t =
        "a: plain text  # comment\n"
        "b: \"tab\\there \\\"q\\\" \\u00e9\"\n"
        "c: 'it''s'\n"
        "d: |\n"
        "  line one\n"
        "    indented\n"
        "\n"
        "e: |-\n"
        "  strip\n"
        "f: |+\n"
        "  keep\n"
        "\n"
        "g: >\n"
        "  folded\n"
        "  lines\n"
        "\n"
        "  para\n"
        "h: plain\n"
        "  continued\n"
        "i: [x, \"y z\", 'w']\n"
        "j: {k: v, m: [1, 2]}\n"
        "k: |2\n"
        "    two extra\n"
        "l:\n";
    auto doc = parse_yaml(t);
    REQUIRE(doc);
    CHECK(doc->find("a")->value.text == "plain text");
    CHECK(doc->find("b")->value.text == "tab\there \"q\" \xc3\xa9");
    CHECK(doc->find("b")->style == scalar_style::double_quoted);
    CHECK(doc->find("c")->value.text == "it's");
    CHECK(doc->find("d")->value.text == "line one\n  indented\n");
    CHECK(doc->find("d")->style == scalar_style::literal);
    CHECK(doc->find("e")->value.text == "strip");
    CHECK(doc->find("f")->value.text == "keep\n\n");
    CHECK(doc->find("g")->value.text == "folded lines\npara\n");
    CHECK(doc->find("h")->value.text == "plain continued");
    const node& i = *doc->find("i");
    REQUIRE(i.kind == node_kind::sequence);
    REQUIRE(i.size() == 3);
    CHECK(i.children[1].value.text == "y z");
    CHECK(i.children[2].value.text == "w");
    CHECK(i.flow);
    const node& j = *doc->find("j");
    REQUIRE(j.kind == node_kind::mapping);
    CHECK(j.find("k")->value.text == "v");
    CHECK(j.find("m")->children[1].value.text == "2");
    CHECK(doc->find("k")->value.text == "  two extra\n");
    CHECK(doc->find("l")->kind == node_kind::null);
}

TEST_CASE("yaml: every decoded byte traces to the bytes that wrote it") {
    const std::string t = "cmd: \"a\\tb\"\nx: |\n  p q\n";
    auto doc = parse_yaml(t);
    REQUIRE(doc);
    const traced_text& v = doc->find("cmd")->value;
    REQUIRE(v.text == "a\tb");
    CHECK(v.from[0].begin == 6);
    CHECK(v.from[1].begin == 7);  // the two bytes of the escape "\t"
    CHECK(v.from[1].end == 9);
    CHECK(v.from[2].begin == 9);
    const traced_text& x = doc->find("x")->value;
    REQUIRE(x.text == "p q\n");
    CHECK(t.substr(x.from[2].begin, 1) == "q");
    CHECK(t[x.from[3].begin] == '\n');
    CHECK(doc->find("x")->line == 2);
}

TEST_CASE("yaml: sequences of mappings, sequences at the key's indentation, comments") {
    const std::string t =
        "# head\n"
        "list:\n"
        "- name: a   # trailing\n"
        "  value: 1\n"
        "-   name: b\n"
        "    value: 2\n"
        "nested:\n"
        "  - - x\n"
        "    - y\n"
        "after: z\n";
    auto doc = parse_yaml(t);
    REQUIRE(doc);
    const node& l = *doc->find("list");
    REQUIRE(l.kind == node_kind::sequence);
    REQUIRE(l.size() == 2);
    CHECK(l.children[0].find("value")->value.text == "1");
    CHECK(l.children[1].find("name")->value.text == "b");
    CHECK(doc->find("nested")->children[0].children[1].value.text == "y");
    CHECK(doc->find("after")->value.text == "z");
}

TEST_CASE("yaml: constructs outside the subset are errors naming the line") {
    struct bad { const char* text; std::size_t line; const char* what; };
    const bad cases[] = {
        {"a: 1\nb: &anchor x\n", 2, "YAML anchors (&) are not supported"},
        {"a: 1\nb: *alias\n", 2, "YAML aliases (*) are not supported"},
        {"a: !!str x\n", 1, "YAML tags (!) are not supported"},
        {"a:\n\tb: 1\n", 2, "tab in indentation"},
        {"a: 1\n---\nb: 2\n", 2, "several documents in one file are not supported"},
        {"a: 1\r\nb: 2\r\n", 1, "carriage return in the file: convert CRLF line endings to LF"},
        {"a: 1\nb: \"open\n\n", 2, "unterminated double-quoted scalar"},
        {"a: 1\nb: 'open\n", 2, "unterminated single-quoted scalar"},
        {"a: 1\na: 2\n", 2, "duplicate mapping key"},
        {"a: [1, 2\n", 1, "unterminated flow sequence"},
        {"? complex\n: value\n", 1, "complex mapping keys (?) are not supported"},
        {"<<: {a: 1}\n", 1, "YAML merge keys (<<) are not supported"},
        {"%YAML 1.2\n---\na: 1\n", 1, "YAML directives are not supported"},
        {"a: b: c\n", 1, "a mapping cannot start on the line of its key"},
        {"a:\n  b: 1\n   c: 2\n", 3, "unexpected ': ' in a continued plain scalar"},  // PyYAML: "mapping values
                                                                                  // are not allowed here"
        {"a:\n  b:\n    c: 1\n   d: 2\n", 4, "unexpected indentation"},
        {"a: |x\n  y\n", 1, "bad block scalar header"},
        {"a: 1\n] b: 2\n", 2, "a flow indicator cannot start a plain scalar"},
        {"a: x\ty\n", 1, "tab outside a quoted or block scalar"},
        {"a:\t1\n", 1, "tab outside a quoted or block scalar"},
        {"a:\n  b: 1\n  : c\n", 3, "empty mapping key"},
        {"\xEF\xBB\xBF" "a: 1\n", 1, "byte-order mark at the start of the file: save it as UTF-8 without BOM"},
        {"a: 1\nb:\n  - x\n  y: 2\n", 4, "unexpected indentation"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.text);
        auto r = parse_yaml(c.text);
        REQUIRE_FALSE(r);
        CHECK(r.error().where == c.line);
        CHECK(r.error().what == std::string_view(c.what));
    }
}

TEST_CASE("yaml: hostile input is refused or read at bounded cost") {
    SUBCASE("a 4 MiB line") {
        std::string t = "a: " + std::string(4u << 20, 'x') + "\n";
        auto r = parse_yaml(t);
        REQUIRE(r);
        CHECK(r->find("a")->value.text.size() == (4u << 20));
    }
    SUBCASE("deep flow nesting") {
        std::string t = "a: " + std::string(100000, '[') + "\n";
        auto r = parse_yaml(t);
        REQUIRE_FALSE(r);
        CHECK(r.error().what == std::string_view("nesting is too deep"));
    }
    SUBCASE("deep block nesting") {
        std::string t;
        for (int i = 0; i < 200; ++i) t += std::string(std::size_t(i) * 2, ' ') + "k" + std::to_string(i) + ":\n";
        auto r = parse_yaml(t);
        REQUIRE_FALSE(r);
        CHECK(r.error().what == std::string_view("nesting is too deep"));
    }
    SUBCASE("over the size limit") {
        yaml_limits lim;
        lim.max_bytes = 16;
        auto r = parse_yaml("a: 0123456789abcdef\n", lim);
        REQUIRE_FALSE(r);
        CHECK(r.error().code == errc::overflow);
    }
    SUBCASE("binary garbage") {
        std::string t("a: \0\x01", 5);
        auto r = parse_yaml(t);
        REQUIRE_FALSE(r);
        CHECK(r.error().what == std::string_view("NUL byte in the file"));
    }
}

}  // TEST_SUITE

TEST_SUITE("llama_swap command") {

TEST_CASE("cmd: POSIX words as golib shlex splits them") {
    CHECK(split_command("a \"b c\" 'd e' f\\ g") == words{"a", "b c", "d e", "f g"});
    CHECK(split_command("\"x\\\"y\" 'a\\b' \"a\\$b\" \"a\\.b\"") == words{"x\"y", "a\\b", "a$b", "a\\.b"});
    CHECK(split_command("a \"\" b") == words{"a", "", "b"});
    CHECK(split_command("a#b c #d") == words{"a#b", "c", "#d"});  // '#' mid-line is not a comment
    CHECK(split_command("C:\\models\\x.gguf") == words{"C:modelsx.gguf"});
}

TEST_CASE("cmd: SanitizeCommand drops whole-line comments and joins trailing backslashes") {
    CHECK(split_command("llama-server \\\n   -m x \\\n   # -c 10 \\\n   -c 20\n") == words{"llama-server", "-m", "x", "-c", "20"});
    CHECK(split_command("a\n  #b c\nd") == words{"a", "d"});
    CHECK(split_command("a\nb\n\nc") == words{"a", "b", "c"});  // newlines separate words without '\'
    CHECK(split_command("\"multi\nline\"") == words{"multi\nline"});
}

TEST_CASE("cmd: Windows words keep backslashes (CommandLineToArgvW rules)") {
    const auto w = shell_dialect::windows;
    CHECK(split_command("C:\\llama\\llama-server.exe -m \"C:\\My Models\\x.gguf\"", w) ==
          words{"C:\\llama\\llama-server.exe", "-m", "C:\\My Models\\x.gguf"});
    CHECK(split_command("a\\\\\"b c\" d\\\"e \"f\"\"g\" 'h i'", w) == words{"a\\b c", "d\"e", "f\"g", "'h", "i'"});
}

TEST_CASE("cmd: macros, env and reserved names as llama-swap expands them") {
    const std::string t =
        "macros:\n"
        "  bin: /opt/llama-server\n"
        "  args: --port ${PORT} --alias ${MODEL_ID}\n"
        "  dir: ${env.HOME}/models\n"
        "models:\n"
        "  m1:\n"
        "    macros:\n"
        "      dir: /local\n"
        "    cmd: ${bin} ${args} -m ${dir}/a.gguf\n"
        "  m2:\n"
        "    cmd: ${bin} -m ${dir}/b.gguf -c ${nope}\n"
        "  m3:\n"
        "    cmd: ${bin} -m ${env.WIN}\n"
        "  m4:\n"
        "    cmd: \"${bin} -m ${env.WIN}\"\n";
    auto cfg = parse_config(t);
    REQUIRE(cfg);
    command_options o;
    o.env = {{"HOME", "/home/me"}, {"WIN", "C:\\m.gguf"}};
    const auto m1 = model_command(*cfg, *cfg->find("m1"), o);
    CHECK(m1.problem.empty());
    CHECK(m1.model_path == "/local/a.gguf");  // the model's macro wins over the global one
    std::vector<std::string> v;
    for (auto& a : m1.argv) v.push_back(a.value);
    CHECK(v == words{"/opt/llama-server", "--port", "${PORT}", "--alias", "m1", "-m", "/local/a.gguf"});
    CHECK_FALSE(m1.argv[1].editable);  // --port comes from ${args}, shared with three other words
    CHECK(m1.argv[1].from_macro);
    CHECK(m1.argv[5].editable);
    CHECK_FALSE(m1.argv[5].from_macro);
    o.reserved = {{"PORT", "5801"}};
    CHECK(model_command(*cfg, *cfg->find("m1"), o).argv[2].value == "5801");
    CHECK(model_command(*cfg, *cfg->find("m2"), o).problem == "unknown macro '${nope}'");
    // ${env.X} goes into the raw YAML escaped: a plain scalar keeps the doubled backslash, so shlex sees "\\"
    CHECK(model_command(*cfg, *cfg->find("m3"), o).model_path == "C:\\m.gguf");
    // a double-quoted scalar undoes the escaping, and POSIX shlex then eats the single backslash
    CHECK(model_command(*cfg, *cfg->find("m4"), o).model_path == "C:m.gguf");
    command_options no_env;
    CHECK(model_command(*cfg, *cfg->find("m1"), no_env).problem ==
          "in a macro: environment variable 'HOME' is not set (pass it with the environment)");
}

TEST_CASE("cmd: llama-server is recognised; anything else is reported") {
    const std::string t =
        "models:\n"
        "  a: {cmd: \"llama-server -m x.gguf\"}\n"
        "  b:\n"
        "    cmd: python3 -m llama_cpp.server --model x.gguf\n"
        "  c:\n"
        "    cmd: docker run --rm ghcr.io/ggml-org/llama.cpp:server -m /models/x.gguf\n"
        "  d:\n"
        "    cmd: llama-server -hf ggml-org/gemma-3-1b-it-GGUF\n"
        "  e:\n"
        "    cmd: llama-server --port 8080\n"
        "  f:\n"
        "    cmd: /usr/bin/env A=1 B=2 /opt/LLAMA-SERVER.EXE --ctx_size 4096 --model y.gguf --fancy-new 3 -c\n"
        "  g:\n"
        "    cmd: llama-server -m 'unterminated\n"
        "  h:\n"
        "    cmd: [not, a, string]\n";
    auto cfg = parse_config(t);
    REQUIRE(cfg);
    command_options o;
    CHECK(model_command(*cfg, *cfg->find("a"), o).problem == "cmd is written inside a flow mapping: left as written");
    CHECK(model_command(*cfg, *cfg->find("b"), o).problem == "not a llama-server command (runs 'python3'): left as written");
    CHECK(model_command(*cfg, *cfg->find("c"), o).problem == "not a llama-server command (runs 'docker'): left as written");
    CHECK(model_command(*cfg, *cfg->find("d"), o).problem ==
          "the model is downloaded (-hf / -mu / -dr), not a local GGUF file: left as written");
    CHECK(model_command(*cfg, *cfg->find("e"), o).problem == "no -m / --model in the command");
    const auto f = model_command(*cfg, *cfg->find("f"), o);
    CHECK(f.problem == "flag '-c' has no value");
    CHECK(f.program == 3);
    CHECK(model_command(*cfg, *cfg->find("g"), o).problem == "unterminated quote in the command");
    CHECK(model_command(*cfg, *cfg->find("h"), o).problem == "cmd is not a string");
    CHECK(model_command(*cfg, *cfg->find("h"), o).line == 15);  // the model's ID line (line 15)
    CHECK(model_command(*cfg, *cfg->find("b"), o).line == 4);

    auto cfg2 = parse_config("models:\n  f:\n    cmd: env A=1 llama-server --ctx_size 4096 --model y.gguf --fancy-new 3 -fa on\n");
    REQUIRE(cfg2);
    const auto f2 = model_command(*cfg2, cfg2->models[0], o);
    CHECK(f2.problem.empty());
    CHECK(f2.model_path == "y.gguf");
    REQUIRE(f2.flags.size() == 4);
    CHECK(llama_flags[f2.flags[0].flag.option].names[0] == "-c");  // --ctx_size is read as --ctx-size
    CHECK_FALSE(f2.flags[2].flag.known());
    CHECK(f2.flags[2].values == 1);
    REQUIRE(f2.notes.size() == 1);
    CHECK(f2.notes[0] == "unknown flag '--fancy-new' (not in llama.cpp 3f545bec); assumed to take 1 value(s)");
}

TEST_CASE("flags: the table holds llama.cpp's spellings and arities") {
    CHECK(find_flag("-ngl").option == find_flag("--n-gpu-layers").option);
    CHECK(find_flag("--gpu-layers").option == find_flag("-ngl").option);
    CHECK(llama_flags[find_flag("-ot").option].arity == 1);
    CHECK(llama_flags[find_flag("--cpu-moe").option].arity == 0);
    CHECK(find_flag("--no-mmap").negated);
    CHECK(find_flag("--no-mmap").option == find_flag("--mmap").option);
    CHECK(find_flag("-nkvo").option == find_flag("--kv-offload").option);
    CHECK(find_flag("-no-kvu").negated);
    CHECK(llama_flags[find_flag("--control-vector-layer-range").option].arity == 2);
    CHECK_FALSE(find_flag("--fit=off").known());
    CHECK_FALSE(find_flag("-x").known());
    for (auto f : planning_flags) CHECK_MESSAGE(find_flag(f).known(), f);
}

}  // TEST_SUITE

TEST_SUITE("llama_swap rewrite") {

TEST_CASE("rewrite: a value is replaced where it is written, everything else stays") {
    const std::string t =
        "# top\n"
        "models:\n"
        "  a:\n"
        "    cmd: llama-server -m /m/a.gguf -c 4096 --jinja -ngl 10   # keep me\n"
        "    ttl: 5\n";
    auto r = rewrite_cmd(t, "a", planning({{"-c", {"8192"}}}));
    REQUIRE(r);
    CHECK(r->skipped.empty());
    CHECK(r->changed);
    CHECK(r->text ==
          "# top\n"
          "models:\n"
          "  a:\n"
          "    cmd: llama-server -m /m/a.gguf -c 8192 --jinja   # keep me\n"
          "    ttl: 5\n");
    CHECK(r->argv_after == words{"llama-server", "-m", "/m/a.gguf", "-c", "8192", "--jinja"});
    // the same plan again changes nothing
    auto again = rewrite_cmd(r->text, "a", planning({{"-c", {"8192"}}}));
    REQUIRE(again);
    CHECK_FALSE(again->changed);
    CHECK(again->text == r->text);
}

TEST_CASE("rewrite: one flag per line with continuations: lines go and come whole") {
    const std::string t =
        "models:\n"
        "  a:\n"
        "    cmd: |\n"
        "      llama-server \\\n"
        "        -m /m/a.gguf \\\n"
        "        --ctx-size 4096 \\\n"
        "        --jinja \\\n"
        "        -ngl 99\n"
        "    ttl: 5\n";
    SUBCASE("remove the last line: no dangling backslash") {
        auto r = rewrite_cmd(t, "a", planning({{"-c", {"4096"}}}));
        REQUIRE(r);
        CHECK(r->text ==
              "models:\n"
              "  a:\n"
              "    cmd: |\n"
              "      llama-server \\\n"
              "        -m /m/a.gguf \\\n"
              "        --ctx-size 4096 \\\n"
              "        --jinja\n"
              "    ttl: 5\n");
    }
    SUBCASE("replace in place, keep the user's spelling, append in the same layout") {
        auto r = rewrite_cmd(t, "a", planning({{"-c", {"32768"}}, {"-ngl", {"99"}}, {"-fa", {"on"}}, {"--no-mmap", {}}}));
        REQUIRE(r);
        CHECK(r->text ==
              "models:\n"
              "  a:\n"
              "    cmd: |\n"
              "      llama-server \\\n"
              "        -m /m/a.gguf \\\n"
              "        --ctx-size 32768 \\\n"
              "        --jinja \\\n"
              "        -ngl 99 \\\n"
              "        -fa on \\\n"
              "        --no-mmap\n"
              "    ttl: 5\n");
    }
    SUBCASE("remove a middle line") {
        auto r = rewrite_cmd(t, "a", planning({{"-ngl", {"99"}}}));
        REQUIRE(r);
        CHECK(r->text ==
              "models:\n"
              "  a:\n"
              "    cmd: |\n"
              "      llama-server \\\n"
              "        -m /m/a.gguf \\\n"
              "        --jinja \\\n"
              "        -ngl 99\n"
              "    ttl: 5\n");
    }
}

TEST_CASE("rewrite: quoting styles of the YAML scalar and of the shell word are kept") {
    const std::string t =
        "models:\n"
        "  d:\n"
        "    cmd: \"llama-server -m '/my models/d.gguf' -c \\\"4096\\\" --mmap\"\n"
        "  s:\n"
        "    cmd: 'llama-server -m \"/my models/s.gguf\" -c ''4096'''\n"
        "  f:\n"
        "    cmd: >\n"
        "      llama-server -m /m/f.gguf\n"
        "      -c 4096\n";
    const auto edits = planning({{"-c", {"8192"}}, {"--no-mmap", {}}, {"-ot", {"blk\\.1\\.=CPU"}}});
    auto d = rewrite_cmd(t, "d", edits);
    REQUIRE(d);
    CHECK(d->text.find("    cmd: \"llama-server -m '/my models/d.gguf' -c \\\"8192\\\" --no-mmap -ot 'blk\\\\.1\\\\.=CPU'\"\n") != std::string::npos);
    CHECK(d->argv_after == words{"llama-server", "-m", "/my models/d.gguf", "-c", "8192", "--no-mmap", "-ot", "blk\\.1\\.=CPU"});
    auto s = rewrite_cmd(t, "s", edits);
    REQUIRE(s);
    CHECK(s->text.find("    cmd: 'llama-server -m \"/my models/s.gguf\" -c ''8192'' --no-mmap -ot \"blk\\\\.1\\\\.=CPU\"'\n") != std::string::npos);
    auto f = rewrite_cmd(t, "f", edits);
    REQUIRE(f);
    CHECK(f->text.substr(f->text.find("  f:")) ==
          "  f:\n"
          "    cmd: >\n"
          "      llama-server -m /m/f.gguf\n"
          "      -c 8192 --no-mmap -ot 'blk\\.1\\.=CPU'\n");
    // only the edited model's bytes moved
    CHECK(d->text.substr(d->text.find("  s:")) == t.substr(t.find("  s:")));
}

TEST_CASE("rewrite: a value from a one-word macro is replaced at the reference, the macro stays") {
    const std::string t =
        "macros:\n"
        "  ctx: 4096\n"
        "models:\n"
        "  a:\n"
        "    cmd: llama-server -m /m/a.gguf -c ${ctx}\n";
    auto r = rewrite_cmd(t, "a", planning({{"-c", {"8192"}}}));
    REQUIRE(r);
    CHECK(r->text == "macros:\n  ctx: 4096\nmodels:\n  a:\n    cmd: llama-server -m /m/a.gguf -c 8192\n");
}

TEST_CASE("rewrite: what cannot be edited safely is left as written, with the reason") {
    const std::string t =
        "macros:\n"
        "  common: -ngl 99 -c 4096\n"
        "models:\n"
        "  shared:\n"
        "    cmd: llama-server ${common} -m /m/a.gguf\n"
        "  commented:\n"
        "    cmd: |\n"
        "      llama-server -m /m/b.gguf -c \\\n"
        "      # why 4096\n"
        "      4096\n"
        "  plain:\n"
        "    cmd: llama-server -m /m/c.gguf\n"
        "  script:\n"
        "    cmd: ./run.sh\n";
    auto shared = rewrite_cmd(t, "shared", planning({{"-c", {"8192"}}}));
    REQUIRE(shared);
    CHECK(shared->skipped == "the value of '-c' comes from a macro shared with other arguments: edit the macro");
    CHECK(shared->text == t);
    CHECK_FALSE(shared->changed);
    auto commented = rewrite_cmd(t, "commented", planning({}));
    REQUIRE(commented);
    CHECK(commented->skipped == "a comment line sits inside '-c' and its value");
    CHECK(commented->text == t);
    // ": " inside a plain scalar would start a mapping: refused, not written
    auto plain = rewrite_cmd(t, "plain", planning({{"-ot", {"odd: name=CPU"}}}));
    REQUIRE(plain);
    CHECK(plain->skipped == "cannot write the value of '-ot' in this cmd's YAML style");
    CHECK(plain->text == t);
    auto script = rewrite_cmd(t, "script", planning({{"-c", {"8192"}}}));
    REQUIRE(script);
    CHECK(script->skipped == "not a llama-server command (runs './run.sh'): left as written");
}

TEST_CASE("rewrite: bad requests are errors") {
    const std::string t = "models:\n  a:\n    cmd: llama-server -m x\n";
    auto unknown_model = rewrite_cmd(t, "b", planning({}));
    REQUIRE_FALSE(unknown_model);
    CHECK(unknown_model.error().code == errc::not_found);
    cmd_edits e;
    e.set = {{"--fit=off", {}}};
    auto bad_flag = rewrite_cmd(t, "a", e);
    REQUIRE_FALSE(bad_flag);
    CHECK(bad_flag.error().what == std::string_view("an edit names a flag llama.cpp does not have"));
    e.set = {{"-c", {}}};
    auto arity = rewrite_cmd(t, "a", e);
    REQUIRE_FALSE(arity);
    CHECK(arity.error().what == std::string_view("an edit gives a flag the wrong number of values"));
    auto broken = rewrite_cmd("models:\n  a: &x\n", "a", planning({}));
    REQUIRE_FALSE(broken);
    CHECK(broken.error().where == 2);
}

TEST_CASE("rewrite: several models in one pass, each with its own outcome") {
    const std::string t =
        "models:\n"
        "  a:\n"
        "    cmd: llama-server -m a.gguf -c 1\n"
        "  b:\n"
        "    cmd: ./b.sh -c 1\n"
        "  c:\n"
        "    cmd: |\n"
        "      llama-server -m c.gguf\n"
        "      -c 1\n";
    auto r = rewrite_config(t, {{"c", planning({{"-c", {"3"}}})}, {"b", planning({})}, {"a", planning({{"-c", {"2"}}})}});
    REQUIRE(r);
    CHECK(r->text == "models:\n  a:\n    cmd: llama-server -m a.gguf -c 2\n  b:\n    cmd: ./b.sh -c 1\n  c:\n    cmd: |\n"
                     "      llama-server -m c.gguf\n      -c 3\n");
    REQUIRE(r->models.size() == 3);
    CHECK(r->models[0].id == "c");
    CHECK(r->models[0].changed);
    CHECK(r->models[1].skipped == "not a llama-server command (runs './b.sh'): left as written");
    CHECK(r->models[1].line == 5);
    CHECK(r->models[0].line == 7);
    CHECK_FALSE(r->models[1].changed);
    CHECK(r->models[2].argv_after == words{"llama-server", "-m", "a.gguf", "-c", "2"});
    auto twice = rewrite_config(t, {{"a", planning({})}, {"a", planning({})}});
    REQUIRE_FALSE(twice);
    CHECK(twice.error().what == std::string_view("a model ID is listed twice"));
}

TEST_CASE("rewrite: new words are quoted for the dialect and the YAML style") {
    const std::string t = "models:\n  a:\n    cmd: llama-server -m x\n";
    cmd_edits e;
    e.set = {{"-a", {"my \"big\" model"}}, {"--chat-template-file", {"C:\\t\\it's.jinja"}}};
    auto posix = rewrite_cmd(t, "a", e);
    REQUIRE(posix);
    CHECK(posix->text ==
          "models:\n  a:\n    cmd: llama-server -m x -a 'my \"big\" model' --chat-template-file \"C:\\\\t\\\\it's.jinja\"\n");
    command_options w;
    w.dialect = shell_dialect::windows;
    auto win = rewrite_cmd(t, "a", e, w);
    REQUIRE(win);
    CHECK(win->text == "models:\n  a:\n    cmd: llama-server -m x -a \"my \\\"big\\\" model\" --chat-template-file C:\\t\\it's.jinja\n");
    CHECK(win->argv_after == words{"llama-server", "-m", "x", "-a", "my \"big\" model", "--chat-template-file", "C:\\t\\it's.jinja"});
}

TEST_CASE("rewrite: repeated options map occurrence by occurrence") {
    const std::string t = "models:\n  a:\n    cmd: llama-server -m x -ot a=CPU -c 1 -ot b=CPU -ot c=CPU\n";
    auto r = rewrite_cmd(t, "a", planning({{"-ot", {"a=CPU"}}, {"-ot", {"z=CUDA0"}}}));
    REQUIRE(r);
    CHECK(r->text == "models:\n  a:\n    cmd: llama-server -m x -ot a=CPU -ot z=CUDA0\n");
}

TEST_CASE("rewrite: realistic configs keep every byte outside the changed arguments") {
    command_options o;
    o.env = {{"MODELS", "/srv/models"}};
    const std::string t = fixture("groups.yaml");
    auto r = rewrite_cmd(t, "qwen3-30b-a3b", planning({{"-c", {"16384"}}, {"-ngl", {"99"}}, {"-fa", {"on"}}}), o);
    REQUIRE(r);
    REQUIRE(r->skipped.empty());
    // hand-derived: ${default_ctx} becomes 16384 in place, "--n-cpu-moe 12" goes with the blank before it,
    // "-ngl 99" and "-fa on" are already right
    std::string want = t;
    const std::string from = "        --ctx-size ${default_ctx} \\\n        -ngl 99 --n-cpu-moe 12 \\\n";
    const std::string to = "        --ctx-size 16384 \\\n        -ngl 99 \\\n";
    REQUIRE(want.find(from) != std::string::npos);
    want.replace(want.find(from), from.size(), to);
    CHECK(r->text == want);
    // the Windows config, with Windows rules
    o.dialect = shell_dialect::windows;
    const std::string w = fixture("windows.yaml");
    auto rw = rewrite_cmd(w, "phi", planning({{"-c", {"8192"}}, {"-fa", {"on"}}}), o);
    REQUIRE(rw);
    std::string want_w = w;
    const std::string wf = "--port ${PORT} -fa off -t 6\n";
    want_w.replace(want_w.find(wf), wf.size(), "--port ${PORT} -fa on -c 8192\n");
    CHECK(rw->text == want_w);
    auto qw = model_command(*parse_config(w), *parse_config(w)->find("qwen"), o);
    CHECK(qw.model_path == "C:\\Users\\Me\\My Models\\qwen3-8b-q4_k_m.gguf");
}

}  // TEST_SUITE

TEST_SUITE("llama_swap side by side") {

TEST_CASE("side by side: groups (swap, exclusive, persistent, default group)") {
    auto cfg = parse_config(fixture("groups.yaml"));
    REQUIRE(cfg);
    auto s = side_by_side_sets(*cfg);
    REQUIRE(s);
    // always (persistent) and tools (not exclusive) join whichever member of an exclusive group runs: big's two
    // members one at a time, and the default group (docker-vllm, hf-download) one at a time
    const std::vector<words> want{
        {"docker-vllm", "embed", "rerank", "small", "wrapper"},
        {"embed", "gemma-3-12b", "rerank", "small", "wrapper"},
        {"embed", "hf-download", "rerank", "small", "wrapper"},
        {"embed", "qwen3-30b-a3b", "rerank", "small", "wrapper"},
    };
    CHECK(s->sets == want);
}

TEST_CASE("side by side: no groups means one model at a time") {
    auto cfg = parse_config("models:\n  a: {cmd: x}\n  b: {cmd: y}\n");
    REQUIRE(cfg);
    auto s = side_by_side_sets(*cfg);
    REQUIRE(s);
    CHECK(s->sets == std::vector<words>{{"a"}, {"b"}});
    auto cfg2 = parse_config("models:\n  a: {cmd: x}\n  b: {cmd: y}\ngroups:\n  g:\n    swap: false\n    members: [a, b]\n");
    REQUIRE(cfg2);
    CHECK(side_by_side_sets(*cfg2)->sets == std::vector<words>{{"a", "b"}});
}

TEST_CASE("side by side: matrix sets under routing.router") {
    auto cfg = parse_config(fixture("matrix.yaml"));
    REQUIRE(cfg);
    CHECK(cfg->router == router_kind::matrix);
    auto s = side_by_side_sets(*cfg);
    REQUIRE(s);
    // coding: {coder, draft}; talk: {chat} | {vision}; all-small: (draft | vision) & talk
    const std::vector<words> want{{"chat", "draft"}, {"chat", "vision"}, {"coder", "draft"}, {"draft", "vision"}};
    CHECK(s->sets == want);
}

TEST_CASE("side by side: bad matrices and groups are errors") {
    const std::string models = "models:\n  a: {cmd: x}\n  b: {cmd: y}\n";
    auto cyc = parse_config(models + "matrix:\n  sets:\n    s1: a & +s2\n    s2: +s1\n");
    REQUIRE(cyc);
    auto r = side_by_side_sets(*cyc);
    REQUIRE_FALSE(r);
    CHECK(r.error().what == std::string_view("matrix set references are too deep or cyclic"));
    auto unk = parse_config(models + "matrix:\n  sets:\n    s1: a & zz\n");
    REQUIRE(unk);
    CHECK(side_by_side_sets(*unk).error().what == std::string_view("a matrix set names an unknown model or var"));
    auto paren = parse_config(models + "matrix:\n  sets:\n    s1: (a | b\n");
    REQUIRE(paren);
    CHECK(side_by_side_sets(*paren).error().what == std::string_view("missing ')' in a matrix set expression"));
    auto mixed = parse_config(models + "groups:\n  g: {members: [a]}\nrouting:\n  router:\n    use: group\n");
    REQUIRE_FALSE(mixed);
    CHECK(mixed.error().what == std::string_view("legacy groups:/matrix: cannot be mixed with routing.router"));
    auto member = parse_config(models + "groups:\n  g:\n    members: [a, c]\n");
    REQUIRE_FALSE(member);
    CHECK(member.error().where == 5);
    // 13 groups of 2 alternatives running side by side: 8192 combinations, over the cap
    std::string many = "models:\n";
    std::string groups = "groups:\n";
    for (int g = 0; g < 13; ++g) {
        many += "  m" + std::to_string(g) + "a: {cmd: x}\n  m" + std::to_string(g) + "b: {cmd: x}\n";
        groups += "  g" + std::to_string(g) + ":\n    exclusive: false\n    members: [m" + std::to_string(g) + "a, m" +
                  std::to_string(g) + "b]\n";
    }
    auto big = parse_config(many + groups);
    REQUIRE(big);
    auto capped = side_by_side_sets(*big);
    REQUIRE_FALSE(capped);
    CHECK(capped.error().code == errc::capacity_exceeded);
    auto fits = side_by_side_sets(*big, 10000);
    REQUIRE(fits);
    CHECK(fits->sets.size() == 8192);
}

}  // TEST_SUITE

TEST_SUITE("llama_swap diff and files") {

TEST_CASE("diff: unified format with context and hunk headers") {
    std::string a, b;
    for (int i = 1; i <= 12; ++i) a += "l" + std::to_string(i) + "\n";
    b = a;
    b.replace(b.find("l2\n"), 3, "L2\n");
    b.replace(b.find("l11\n"), 4, "");
    CHECK(unified_diff(a, b, "a/c.yaml", "b/c.yaml") ==
          "--- a/c.yaml\n+++ b/c.yaml\n"
          "@@ -1,5 +1,5 @@\n l1\n-l2\n+L2\n l3\n l4\n l5\n"
          "@@ -8,5 +8,4 @@\n l8\n l9\n l10\n-l11\n l12\n");
    CHECK(unified_diff(a, a, "x", "y").empty());
    CHECK(unified_diff("x", "y\n", "a", "b") == "--- a\n+++ b\n@@ -1,1 +1,1 @@\n-x\n\\ No newline at end of file\n+y\n");
}

#if defined(__unix__) || defined(__APPLE__)
TEST_CASE("io: in place with a backup, or to another file; atomic; refuses a file changed meanwhile") {
    char tmpl[] = "/tmp/llamaplan-swap-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    const std::string dir = tmpl;
    const std::string cfg = dir + "/config.yaml";
    {
        std::ofstream f(cfg, std::ios::binary);
        f << "old\n";
    }
    REQUIRE(::chmod(cfg.c_str(), 0600) == 0);
    auto orig = read_config(cfg);
    REQUIRE(orig);
    CHECK(*orig == "old\n");

    auto w = write_config(cfg, *orig, "new\n");
    REQUIRE(w);
    CHECK(*w == cfg);
    CHECK(slurp(cfg) == "new\n");
    CHECK(slurp(cfg + ".bak") == "old\n");
    struct stat st{};
    REQUIRE(::stat(cfg.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);

    auto stale = write_config(cfg, "old\n", "newer\n");
    REQUIRE_FALSE(stale);
    CHECK(stale.error().what == std::string_view("the config file changed since it was read: not overwritten"));
    CHECK(slurp(cfg) == "new\n");

    write_options nb;
    nb.backup = false;
    std::remove((cfg + ".bak").c_str());
    REQUIRE(write_config(cfg, "new\n", "third\n", nb));
    CHECK(slurp(cfg) == "third\n");
    std::ifstream bak(cfg + ".bak");
    CHECK_FALSE(bak.good());

    write_options out;
    out.output = dir + "/other.yaml";
    auto o = write_config(cfg, "third\n", "fourth\n", out);
    REQUIRE(o);
    CHECK(*o == out.output);
    CHECK(slurp(out.output) == "fourth\n");
    CHECK(slurp(cfg) == "third\n");

    auto missing = read_config(dir + "/nope.yaml");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == errc::not_found);
    auto big = read_config(cfg, 3);
    REQUIRE_FALSE(big);
    CHECK(big.error().code == errc::overflow);
    auto nowhere = write_atomically(dir + "/no/such/dir/x.yaml", "x");
    REQUIRE_FALSE(nowhere);
    CHECK(nowhere.error().code == errc::io_error);

    // a symbolic link stays a link; its target gets the new text
    const std::string link = dir + "/link.yaml";
    REQUIRE(::symlink("config.yaml", link.c_str()) == 0);
    REQUIRE(write_config(link, "third\n", "fifth\n", nb));
    struct stat lst{};
    REQUIRE(::lstat(link.c_str(), &lst) == 0);
    CHECK(S_ISLNK(lst.st_mode));
    CHECK(slurp(cfg) == "fifth\n");

    std::remove(link.c_str());
    std::remove(cfg.c_str());
    std::remove(out.output.c_str());
    ::rmdir(dir.c_str());
}
#endif

TEST_CASE("macros: an exponential macro bomb is cut at the expansion bound") {
    std::string t = "macros:\n  m0: xxxxxxxxxxxxxxxx\n";
    for (int i = 1; i <= 40; ++i)
        t += "  m" + std::to_string(i) + ": ${m" + std::to_string(i - 1) + "}${m" + std::to_string(i - 1) + "}\n";
    t += "models:\n  a:\n    cmd: llama-server -m ${m40}\n";
    auto cfg = parse_config(t);
    REQUIRE(cfg);
    const auto info = model_command(*cfg, cfg->models[0], {});
    CHECK(info.problem == "in a macro: command is too long after macro expansion");
}

}  // TEST_SUITE
