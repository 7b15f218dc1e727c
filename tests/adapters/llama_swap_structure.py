#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks llamaplan's llama-swap rewriter against a real YAML parser (python3-yaml, test-only).

For every fixture config: rewrite all models with one plan (llamaplan_llama_swap_rewrite), then
  1. both files parse, and parse to the same structure except the `cmd` of the rewritten models;
  2. each model's argv, computed here independently (PyYAML + llama-swap's macro expansion, SanitizeCommand and
     shell-word splitting written in Python), equals what the rewriter reports, before and after;
  3. the models the fixture lists on its `# expect-skipped:` line, and only those, are left as written;
  4. rewriting the output again changes nothing;
and that the project's YAML reader decodes the fixtures and a list of tricky documents exactly as PyYAML does
(BaseLoader: every scalar a string), and on 300 seeded random mutations of the fixtures never crashes, never
accepts what PyYAML rejects, and reads what both accept identically (it may refuse more: it is a subset, and it
rejects duplicate keys as llama-swap's yaml.v3 does).
usage: llama_swap_structure.py REWRITE_TOOL FIXTURE_DIR
"""
import copy, json, os, random, re, shlex, subprocess, sys, tempfile

try:
    import yaml
except ImportError:
    sys.exit("python3-yaml is required for this test: apt-get install python3-yaml (tools/deps.sh does)")

ENV = {"MODELS": "/srv/models"}

# documents exercising every scalar style, folding and chomping rule the reader implements
TRICKY = [
    "a: |\n  x\n\n  y\n\n",
    "a: |-\n  x\n  y\n",
    "a: |+\n  x\n\n\nb: 1\n",
    "a: |2-\n   x\n  y\n",
    "a: >\n\n  x\n  y\n\n  z\n   more\n   indented\n  w\n",
    "a: >-\n  one\n  two\n",
    "a: \"x\\\n   y  z\n\n  w\"\n",
    "a: \"\\u263A \\x41 \\t \\\" \\\\ \\/\"\n",
    "a: 'it''s\n  folded\n\n  twice'\n",
    "a: plain\n\n  multi\n  line\nb: x # comment\nc: 'y' # comment\n",
    "- a\n- b: c\n  d: e\n- - f\n  - g\n",
    "k: [a, 'b c', \"d\", [e]]\nm: {x: y, z: [1, 2], w: }\n",
    "a: #c\n  b\nc:\n- x\n- y\nd:\n",
    "\"quoted key\": 1\n'single': 2\nwin: C:\\models\\x.gguf\n",
    "a: x y   \nb: \"  spaced  \"\n",
    "---\nmodels:\n  m:\n    cmd: |\n      llama-server \\\n        -m x  # not a comment\n      # a comment line\n",
]


def expand_macros(cmd, macros, model_id):
    """llama-swap internal/config/macros.go: ${env.X} first, then macros (each may use earlier ones)."""
    env_re = re.compile(r"\$\{env\.([a-zA-Z_][a-zA-Z0-9_]*)\}")
    macro_re = re.compile(r"\$\{([a-zA-Z0-9_-]+)\}")
    values = {}
    for name, value in macros:
        value = env_re.sub(lambda m: ENV[m.group(1)], str(value))
        values[name] = macro_re.sub(lambda m: values.get(m.group(1), m.group(0)), value)
    values.setdefault("MODEL_ID", model_id)
    cmd = env_re.sub(lambda m: ENV[m.group(1)], cmd)
    return macro_re.sub(lambda m: values.get(m.group(1), m.group(0)), cmd)


def sanitize(cmd):
    """llama-swap internal/config/commands.go SanitizeCommand (before splitting)."""
    lines = []
    for line in cmd.split("\n"):
        t = line.strip()
        if t.startswith("#"):
            continue
        lines.append(t[:-1] + " " if t.endswith("\\") else line)
    return "\n".join(lines)


def split_windows(s):
    """CommandLineToArgvW rules (golib shlex.Windows)."""
    out, word, in_word, quoted, i = [], [], False, False, 0
    while i < len(s):
        c = s[i]
        if c == "\\":
            j = i
            while j < len(s) and s[j] == "\\":
                j += 1
            n = j - i
            in_word = True
            if j < len(s) and s[j] == '"':
                word.append("\\" * (n // 2))
                if n % 2:
                    word.append('"')
                    j += 1
            else:
                word.append("\\" * n)
            i = j
            continue
        if c == '"':
            in_word = True
            if quoted and i + 1 < len(s) and s[i + 1] == '"':
                word.append('"')
                i += 2
                continue
            quoted = not quoted
        elif c in " \t\r\n" and not quoted:
            if in_word:
                out.append("".join(word))
            word, in_word = [], False
        else:
            in_word = True
            word.append(c)
        i += 1
    if in_word:
        out.append("".join(word))
    return out


def argv_of(doc, model_id, windows):
    model = doc["models"][model_id]
    macros = list((doc.get("macros") or {}).items()) + list((model.get("macros") or {}).items())
    cmd = sanitize(expand_macros(model["cmd"], macros, model_id))
    return split_windows(cmd) if windows else shlex.split(cmd, posix=True)


def main():
    tool, fixtures = sys.argv[1], sys.argv[2]
    names = sorted(f for f in os.listdir(fixtures) if f.endswith(".yaml"))
    assert names, "no fixtures in " + fixtures
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        docs = [(n, open(os.path.join(fixtures, n), encoding="utf-8").read()) for n in names]
        docs += [(f"tricky[{i}]", t) for i, t in enumerate(TRICKY)]
        for label, text in docs:
            path = os.path.join(tmp, "doc.yaml")
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            mine = json.loads(subprocess.run([tool, "--dump", path], capture_output=True, text=True, check=True).stdout)
            theirs = yaml.load(text, Loader=yaml.BaseLoader)
            if mine != theirs:
                failures += 1
                print(f"FAIL {label}: YAML read as {mine!r}, PyYAML reads {theirs!r}")
        print(f"YAML reader: {len(docs)} documents decoded as PyYAML does")

        rng = random.Random(9)
        alphabet = list(" \n\t:-#'\"\\|>[]{},&*!") + ["  ", "\n  ", "- ", ": ", "|-", ">+", '"a\\tb"', "${", "''"]
        fixtures_text = [t for _, t in docs[:len(names)]]
        agree = refused = 0
        for i in range(300):
            t = list(rng.choice(fixtures_text))
            for _ in range(rng.randint(1, 4)):
                p = rng.randrange(len(t))
                op = rng.random()
                if op < 0.4:
                    t[p] = rng.choice(alphabet)
                elif op < 0.7:
                    t.insert(p, rng.choice(alphabet))
                else:
                    del t[p]
            text = "".join(t)
            path = os.path.join(tmp, "mutant.yaml")
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            run = subprocess.run([tool, "--dump", path], capture_output=True, text=True)
            try:
                theirs, py_ok = yaml.load(text, Loader=yaml.BaseLoader), True
            except yaml.YAMLError:
                theirs, py_ok = None, False
            if run.returncode not in (0, 1):
                failures += 1
                print(f"FAIL mutant {i}: the reader crashed (exit {run.returncode})")
            elif run.returncode == 0 and not py_ok:
                failures += 1
                print(f"FAIL mutant {i}: accepted a document PyYAML rejects:\n{text}")
            elif run.returncode == 0 and json.loads(run.stdout) != theirs:
                failures += 1
                print(f"FAIL mutant {i}: read differently from PyYAML:\n{text}")
            elif run.returncode == 0:
                agree += 1
            else:
                refused += 1
        print(f"YAML reader on 300 mutants: {agree} read as PyYAML does, {refused} refused, none accepted wrongly")
        for name in names:
            path = os.path.join(fixtures, name)
            windows = "windows" in name
            extra = (["--windows"] if windows else []) + ["--env", "MODELS=" + ENV["MODELS"]]
            out = os.path.join(tmp, name)
            run = subprocess.run([tool, path, out] + extra, capture_output=True, text=True, check=True)
            report = {r["id"]: r for r in map(json.loads, run.stdout.splitlines())}
            before_text = open(path, encoding="utf-8").read()
            after_text = open(out, encoding="utf-8").read()
            before, after = yaml.safe_load(before_text), yaml.safe_load(after_text)
            expected_skips = set(re.search(r"^# expect-skipped:(.*)$", before_text, re.M).group(1).split())

            def check(cond, what):
                nonlocal failures
                if not cond:
                    failures += 1
                    print(f"FAIL {name}: {what}")

            # 1. same structure except the rewritten cmds
            masked_b, masked_a = copy.deepcopy(before), copy.deepcopy(after)
            for mid, r in report.items():
                if r["changed"]:
                    masked_b["models"][mid]["cmd"] = masked_a["models"][mid]["cmd"] = "<rewritten>"
            check(masked_b == masked_a, "structure differs outside the rewritten cmds")
            check(set(report) == set(before["models"]), "the rewriter did not report every model")
            # 2. argv computed independently
            for mid, r in report.items():
                if r["skipped"] and mid in expected_skips:
                    continue
                check(argv_of(before, mid, windows) == r["before"], f"{mid}: argv before differs: {argv_of(before, mid, windows)} vs {r['before']}")
                check(argv_of(after, mid, windows) == r["after"], f"{mid}: argv after differs: {argv_of(after, mid, windows)} vs {r['after']}")
                check(r["changed"] == (r["before"] != r["after"]), f"{mid}: changed flag disagrees with the argv")
            # 3. exactly the expected models skipped, and left untouched
            skipped = {mid for mid, r in report.items() if r["skipped"]}
            check(skipped == expected_skips, f"skipped {sorted(skipped)}, expected {sorted(expected_skips)}")
            for mid in skipped:
                check(before["models"][mid]["cmd"] == after["models"][mid]["cmd"], f"{mid}: skipped but changed")
            # 4. idempotent
            out2 = os.path.join(tmp, "again-" + name)
            subprocess.run([tool, out, out2] + extra, capture_output=True, text=True, check=True)
            check(open(out2, encoding="utf-8").read() == after_text, "a second rewrite changed the file again")
            print(f"{name}: {len(report)} models, {len(report) - len(skipped)} rewritten, {len(skipped)} left as written")
    if failures:
        sys.exit(f"{failures} check(s) failed")
    print("llama-swap rewrites: structure and argv agree with PyYAML")


if __name__ == "__main__":
    main()
