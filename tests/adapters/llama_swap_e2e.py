#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""End-to-end test of `llamaplan swap` on realistic llama-swap configs whose models are real GGUF files.

In a temporary directory: GGUFs written by `llamaplan demo --dir` (a Llama-3.1-8B-shaped Q4_K header, copied under a
path with spaces) and `llamaplan_write_models --header-only` (a MoE, an SWA and a Mamba-2 model), a saved machine
(64 GiB of RAM, one 12 GiB CUDA GPU), and configs with groups (swap: false, persistent), macros (${PORT},
${env.MODELS}, user macros, a per-model macro), comments, block scalars (| and >), line continuations, quoted paths
with spaces, a wrapper script, a docker command, a missing model, an -hf download; a routing.router matrix config; and
a Windows config (--windows, with LF and with CRLF line endings).
Checked:
  1. --dry-run prints a unified diff (which, applied, gives what --output writes) and writes nothing;
  2. --output FILE writes FILE only; in place writes a backup (CONFIG.yaml.bak, byte for byte the original), and
     --no-backup none;
  3. both files parse (PyYAML) to the same structure except the cmd of the planned models; every byte outside the
     cmd values is the same; inside them, the argv without its planning flags is the same token for token;
  4. unsupported cmds (wrapper, docker, missing file, -hf) are byte for byte unchanged and reported with their reason;
  5. models that run side by side (the swap: false group next to the persistent group; matrix sets) get plans that
     fit together: re-planned with every planning flag of their rewritten cmd pinned (`llamaplan plan --json`), their
     bytes on each device sum to no more than the machine has -- while the two 8B models planned alone would not;
  6. rewriting the result again changes nothing; --model ID rewrites only that model;
  8. a cmd with a -md draft keeps the draft's flags, and its plan fits the GPU with the draft loaded (a plan made
     without the draft would not);
  7. exit codes as `llamaplan swap --help` documents them: 0 done, 3 a model does not fit, 2 bad input, 1 I/O error.
usage: llama_swap_e2e.py LLAMAPLAN LLAMAPLAN_WRITE_MODELS
"""
import json, os, re, shlex, shutil, subprocess, sys, tempfile

try:
    import yaml
except ImportError:
    sys.exit("python3-yaml is required for this test: apt-get install python3-yaml (tools/deps.sh does)")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import llama_swap_structure as lss  # llama-swap's macro expansion, SanitizeCommand and Windows splitting, in Python

# llama-server's planning flags (adapters/llama_swap/include/llamaplan/llama_swap/flags.hpp planning_flags, every
# spelling from common/arg.cpp) with the number of values each takes
PLANNING = {}
for arity, names in [
    (1, "-c --ctx-size"), (1, "-ngl --gpu-layers --n-gpu-layers"), (1, "-ts --tensor-split"), (1, "-sm --split-mode"),
    (1, "-mg --main-gpu"), (1, "-ot --override-tensor"), (0, "-cmoe --cpu-moe"), (1, "-ncmoe --n-cpu-moe"),
    (1, "-ctk --cache-type-k"), (1, "-ctv --cache-type-v"), (1, "-fa --flash-attn"), (1, "-b --batch-size"),
    (1, "-ub --ubatch-size"), (1, "-np --parallel"), (0, "-kvu --kv-unified -no-kvu --no-kv-unified"),
    (1, "-t --threads"), (1, "-tb --threads-batch"), (1, "-lm --load-mode"), (0, "--mmap --no-mmap"), (0, "--mlock"),
    (0, "-dio --direct-io -ndio --no-direct-io"), (1, "-fit --fit"), (1, "-fitt --fit-target"), (1, "-fitc --fit-ctx"),
    (1, "-cram --cache-ram"), (0, "--swa-full"), (0, "-kvo --kv-offload -nkvo --no-kv-offload")]:
    for n in names.split():
        PLANNING[n] = arity

CONFIG = r"""# llama-swap config for the end-to-end test of `llamaplan swap`
healthCheckTimeout: 500
logLevel: info
startPort: 10001

macros:
  "latest-llama": >
    /opt/llama.cpp/build/bin/llama-server
    --port ${PORT}
  "models": ${env.MODELS}
  default_ctx: 8192

models:
  "llama-8b":
    # the main chat model
    cmd: |
      ${latest-llama}
        --model ${models}/llama-8b.gguf \
        --ctx-size ${default_ctx} \
        -ngl 99 \
        # sampling
        --jinja --temp 0.6 --top-k 20 \
        -fa on
    aliases:
      - "gpt-4o-mini"
    ttl: 600

  "llama-8b-spaces":
    cmd: >
      llama-server --port ${PORT}
      -m "${models}/my models/Llama 8B copy.gguf"
      --ctx-size 16384 --threads 8 --no-mmap
      --mmproj '${models}/my models/mmproj.gguf'
    env:
      - "CUDA_VISIBLE_DEVICES=0"
    proxy: http://127.0.0.1:${PORT}

  moe:   # embeddings, next to everything
    cmd: "llama-server --port ${PORT} -m ${models}/qwen3moe-e8u2.gguf --embeddings -c 2048 -ub 2048 -b 2048"
    unlisted: true

  gemma:
    cmd: 'llama-server --port ${PORT} --model ${models}/gemma3-6L-swa160.gguf --temp ''0.7'' -ngl 99 -c ''8192'''

  mamba:
    cmd: env LLAMA_LOG_COLORS=0 /usr/bin/llama-server --port ${PORT} -m ${models}/mamba2-3L-256.gguf -t 4 -np 2
    macros:
      default_ctx: 4096

  wrapper:
    cmd: ${models}/start-model.sh --model llama --port ${PORT} -c 4096
    cmdStop: ${models}/stop-model.sh

  docker:
    cmd: |
      docker run --init --rm -p ${PORT}:8080 -v ${models}:/models
        ghcr.io/ggml-org/llama.cpp:server -m /models/llama-8b.gguf -c 4096
    cmdStop: docker stop llama

  missing:
    cmd: llama-server --port ${PORT} -m ${models}/not-there.gguf -c 4096

  hf:
    cmd: llama-server --port ${PORT} -hf ggml-org/gemma-3-1b-it-GGUF -c 4096

groups:
  # the two 8B models run side by side
  "pair":
    swap: false
    exclusive: true
    members:
      - "llama-8b"
      - "llama-8b-spaces"
  "always":
    persistent: true
    swap: false
    exclusive: false
    members: ["moe", "gemma"]
  "tools":
    swap: true
    exclusive: false
    members:
      - mamba
      - wrapper
"""
PLANNED = {"llama-8b", "llama-8b-spaces", "moe", "gemma", "mamba"}
SKIPPED = {"wrapper": "not a llama-server command", "docker": "not a llama-server command",
           "missing": "not found", "hf": "downloaded"}
SIDE_BY_SIDE = ["llama-8b", "llama-8b-spaces", "moe", "gemma"]  # the swap: false pair next to the persistent group

# Windows (llama-swap splits cmd with CommandLineToArgvW rules there): backslashes are literal; the model path is a
# relative one that exists here (a file named `models\llama 8b.gguf` in the working directory)
WINDOWS = r"""# llama-swap on Windows
models:
  "qwen":
    cmd: |
      C:\llama.cpp\llama-server.exe
        -m "models\llama 8b.gguf"
        --port ${PORT}
        -c 4096
        -ngl 20
  "phi":
    cmd: C:\llama.cpp\llama-server.exe -m D:\models\phi-4-mini.gguf --port ${PORT} -fa off -t 6
  "bat":
    cmd: C:\tools\start-llama.bat phi
"""

# routing.router with a swap matrix (llama-swap internal/config/matrix.go): the "pair" set runs both 8B models at once
MATRIX = r"""macros:
  server: /usr/local/bin/llama-server
models:
  coder:
    cmd: |
      ${server} --port ${PORT}
      -m ${env.MODELS}/llama-8b.gguf
      -c 32768
      -ngl 65
      -ctk q8_0 -ctv q8_0
  chat:
    cmd: |-
      ${server} --port ${PORT} -m "${env.MODELS}/my models/Llama 8B copy.gguf"
        -c 8192 --split-mode layer --main-gpu 0
  draft:
    cmd: ${server} --port ${PORT} -m ${env.MODELS}/qwen3moe-e8u2.gguf -c 4096 -ngl 99
routing:
  router:
    use: matrix
    settings:
      matrix:
        vars:
          c: coder
          d: draft
          t: chat
        evict_costs:
          coder: 3
        sets:
          pair: "c & t"
          coding: "c & d"
"""

# a model with a draft for speculative decoding (-md): the draft's flags stay as written and its bytes are budgeted
DRAFT = r"""models:
  spec:
    cmd: |
      llama-server --port ${PORT} -m ${env.MODELS}/llama-8b.gguf -c 4096
      -md "${env.MODELS}/my models/Llama 8B copy.gguf" -ngld 99 --spec-draft-n-max 8
"""
DRAFT_WORDS = ["-md", "{models}/my models/Llama 8B copy.gguf", "-ngld", "99", "--spec-draft-n-max", "8"]

FAILURES = []


def check(ok, what):
    if not ok:
        FAILURES.append(what)
        print("FAIL", what)
    return ok


def run(args, cwd, env):
    return subprocess.run(args, capture_output=True, text=True, cwd=cwd, env=env)


def cmd_spans(text):
    """(model id, start, end) of every `cmd:` value under models: (this file's layout: 2-space model keys)."""
    lines = text.splitlines(keepends=True)
    spans, offset, model, in_models, i = [], 0, None, False, 0
    starts = []
    for line in lines:
        starts.append(offset)
        offset += len(line)
    starts.append(offset)
    while i < len(lines):
        line = lines[i]
        if re.match(r"^\S", line):
            in_models = line.startswith("models:")
        elif in_models and re.match(r"^  [^ #]", line):
            model = line.strip().split(":")[0].strip('"')
        m = re.match(r"^(\s+)cmd:\s?", line) if in_models else None
        if m:
            indent = len(m.group(1))
            j = i + 1
            while j < len(lines) and (not lines[j].strip() or len(lines[j]) - len(lines[j].lstrip()) > indent):
                j += 1
            while j - 1 > i and not lines[j - 1].strip():  # trailing blank lines belong to the text between values
                j -= 1
            spans.append((model, starts[i] + len(m.group(0)), starts[j]))
            i = j
            continue
        i += 1
    return spans


def outside_cmds(text):
    out, last = [], 0
    for model, a, b in cmd_spans(text):
        out.append(text[last:a])
        out.append(f"<cmd of {model}>")
        last = b
    out.append(text[last:])
    return "".join(out)


def raw_words(cmd, windows=False):
    """The cmd's words as llama-swap splits them, before macro expansion (macros are kept as words)."""
    s = lss.sanitize(cmd)
    return lss.split_windows(s) if windows else shlex.split(s, posix=True)


def without_planning(words):
    out, i = [], 0
    while i < len(words):
        if words[i] in PLANNING:
            i += 1 + PLANNING[words[i]]
            continue
        out.append(words[i])
        i += 1
    return out


def planning_of(words):
    out, i = [], 0
    while i < len(words):
        if words[i] in PLANNING:
            out += words[i:i + 1 + PLANNING[words[i]]]
            i += 1 + PLANNING[words[i]]
        else:
            i += 1
    return out


def check_rewrite(before, after, planned, skipped, windows, label):
    """Checks 3 and 4 on one rewrite."""
    a, b = yaml.load(before, Loader=yaml.BaseLoader), yaml.load(after, Loader=yaml.BaseLoader)
    changed = {m for m in a["models"] if a["models"][m]["cmd"] != b["models"][m]["cmd"]}
    check(changed == planned, f"{label}: cmds changed for {sorted(changed)}, expected {sorted(planned)}")
    for m in b["models"]:
        b["models"][m]["cmd"] = a["models"][m]["cmd"]
    check(a == b, f"{label}: the YAML structure differs outside the cmd values")
    check(outside_cmds(before) == outside_cmds(after), f"{label}: bytes outside the cmd values differ")
    check([s[0] for s in cmd_spans(before)] == list(a["models"]), f"{label}: the test did not find every cmd value")
    a2 = yaml.load(after, Loader=yaml.BaseLoader)
    for m in planned:
        w0, w1 = raw_words(a["models"][m]["cmd"], windows), raw_words(a2["models"][m]["cmd"], windows)
        check(without_planning(w0) == without_planning(w1),
              f"{label}: {m}: words other than planning flags changed: {without_planning(w0)} -> {without_planning(w1)}")
        check("--fit" in planning_of(w1) or "-fit" in planning_of(w1), f"{label}: {m}: no planned flags in {w1}")
    for m in skipped:
        spans0 = {s[0]: before[s[1]:s[2]] for s in cmd_spans(before)}
        spans1 = {s[0]: after[s[1]:s[2]] for s in cmd_spans(after)}
        check(spans0[m] == spans1[m], f"{label}: {m}: an unsupported cmd was edited")


def apply_diff(text, diff):
    """Applies a unified diff (strictly: every context and removed line must match), or returns None."""
    lines, out, at = text.splitlines(keepends=True), [], 0
    body = diff.splitlines(keepends=True)[2:]
    for line in body:
        if line.startswith("@@"):
            start = int(re.match(r"@@ -(\d+)", line).group(1)) - 1
            if start < at:
                return None
            out += lines[at:start]
            at = start
        elif line.startswith(("-", " ")):
            if at >= len(lines) or lines[at] != line[1:]:
                return None
            if line[0] == " ":
                out.append(lines[at])
            at += 1
        elif line.startswith("+"):
            out.append(line[1:])
        elif not line.startswith("\\"):
            return None
    return "".join(out + lines[at:])


def summary_of(text):
    return {line.split()[0]: line for line in text.splitlines() if line and not line.startswith(("wrote", "nothing"))}


def plan_bytes(llamaplan, doc, ids, machine_args, cwd, env):
    """Per device, the bytes of the models' rewritten cmds re-planned with every planning flag pinned."""
    total = {}
    for m in ids:
        words = lss.argv_of(doc, m, False)
        model_path = words[words.index("-m" if "-m" in words else "--model") + 1]
        argv = ["llama-server", "-m", model_path] + planning_of(words) + (["--embeddings"] if "--embeddings" in words else [])
        r = run([llamaplan, "plan", "--json"] + machine_args + ["--"] + argv, cwd, env)
        check(r.returncode == 0, f"{m}: the rewritten cmd does not fit alone ({r.returncode} {r.stderr})")
        for d in json.loads(r.stdout)["devices"] if r.returncode == 0 else []:
            total[d["name"]] = total.get(d["name"], 0) + d["planned"]
    return total


def main():
    llamaplan, write_models = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    tmp = tempfile.mkdtemp(prefix="llamaplan-swap-e2e-")
    try:
        models = os.path.join(tmp, "models")
        os.makedirs(os.path.join(models, "my models"))
        subprocess.run([llamaplan, "demo", "--dir", models], check=True, capture_output=True)
        os.rename(os.path.join(models, "llamaplan-demo-llama3.1-8b-q4_k.gguf"), os.path.join(models, "llama-8b.gguf"))
        shutil.copy(os.path.join(models, "llama-8b.gguf"), os.path.join(models, "my models", "Llama 8B copy.gguf"))
        shutil.copy(os.path.join(models, "llama-8b.gguf"), os.path.join(tmp, "models\\llama 8b.gguf"))
        subprocess.run([write_models, "--header-only", models, "qwen3moe-e8u2", "gemma3-6L-swa160", "mamba2-3L-256"],
                       check=True, capture_output=True)
        with open(os.path.join(models, "start-model.sh"), "w") as f:  # the wrapper exists: still not llama-server
            f.write("#!/bin/sh\nexec llama-server \"$@\"\n")
        os.chmod(os.path.join(models, "start-model.sh"), 0o755)
        machine = {"format": "llamaplan-machine", "version": 1, "platform": "linux", "cpu_name": "test CPU",
                   "host": {"cpus_logical": 16, "cpus_physical": 8, "memory_total": 96 << 30,
                            "memory_available": 64 << 30, "cpu_repack": True, "cpu_amx": False},
                   "devices": [{"name": "RTX test", "backend": "cuda", "memory_total": 12 << 30, "memory_free": 12 << 30}]}
        with open(os.path.join(tmp, "machine.json"), "w") as f:
            json.dump(machine, f)
        small = dict(machine, host=dict(machine["host"], memory_total=4 << 30, memory_available=3 << 30), devices=[])
        with open(os.path.join(tmp, "small.json"), "w") as f:
            json.dump(small, f)
        env = dict(os.environ, MODELS=models)
        lss.ENV["MODELS"] = models
        M = ["--machine", "machine.json"]
        for name, text in (("config.yaml", CONFIG), ("windows.yaml", WINDOWS)):
            with open(os.path.join(tmp, name), "w") as f:
                f.write(text)
        read = lambda name: open(os.path.join(tmp, name), encoding="utf-8", newline="").read()  # bytes as they are
        exists = lambda name: os.path.exists(os.path.join(tmp, name))

        # 7. help and exit codes for bad input
        r = run([llamaplan, "swap", "--help"], tmp, env)
        check(r.returncode == 0 and "exit codes" in r.stdout, "swap --help: exit 0 with the exit codes")
        r = run([llamaplan, "swap", "config.yaml", "--frobnicate"] + M, tmp, env)
        check(r.returncode == 2 and r.stderr.count("\n") == 1, f"unknown option: exit 2, one line ({r.returncode} {r.stderr!r})")
        r = run([llamaplan, "swap", "nope.yaml"] + M, tmp, env)
        check(r.returncode == 1, f"missing config: exit 1 ({r.returncode} {r.stderr!r})")
        with open(os.path.join(tmp, "broken.yaml"), "w") as f:
            f.write("models:\n  a:\n    cmd: [unclosed\n")
        r = run([llamaplan, "swap", "broken.yaml"] + M, tmp, env)
        check(r.returncode == 2 and read("broken.yaml") == "models:\n  a:\n    cmd: [unclosed\n" and not exists("broken.yaml.bak"),
              f"invalid YAML: exit 2, nothing written ({r.returncode} {r.stderr!r})")
        r = run([llamaplan, "swap", "config.yaml", "--model", "no-such-model"] + M, tmp, env)
        check(r.returncode == 2, f"unknown --model: exit 2 ({r.returncode})")
        # 2. --output FILE
        r = run([llamaplan, "swap", "config.yaml", "--output", "out.yaml"] + M, tmp, env)
        check(r.returncode == 0, f"swap --output: exit 0 ({r.returncode} {r.stderr})")
        check(read("config.yaml") == CONFIG and not exists("config.yaml.bak"), "--output changed the config or backed it up")
        out = read("out.yaml")
        # 3. and 4.
        check_rewrite(CONFIG, out, PLANNED, set(SKIPPED), False, "config.yaml")
        summary = summary_of(r.stdout)
        for m in PLANNED:
            check(m in summary and "planned:" in summary[m], f"summary: {m} planned: {summary.get(m)}")
        for m, why in SKIPPED.items():
            check(m in summary and "skipped:" in summary[m] and why in summary[m], f"summary: {m} skipped ({why}): {summary.get(m)}")

        # 1. --dry-run: a diff that patch turns into out.yaml, and nothing written
        r = run([llamaplan, "swap", "config.yaml", "--dry-run"] + M, tmp, env)
        check(r.returncode == 0 and r.stdout.startswith("--- a/config.yaml\n+++ b/config.yaml\n@@ "), f"--dry-run diff ({r.returncode})")
        check(read("config.yaml") == CONFIG and not exists("config.yaml.bak"), "--dry-run wrote something")
        check(apply_diff(CONFIG, r.stdout) == out, "the dry-run diff does not give the file --output writes")

        # 2. in place, with a backup, and --no-backup
        for name, extra, backup in (("inplace.yaml", [], True), ("nobackup.yaml", ["--no-backup"], False)):
            with open(os.path.join(tmp, name), "w") as f:
                f.write(CONFIG)
            r = run([llamaplan, "swap", name] + extra + M, tmp, env)
            check(r.returncode == 0 and read(name) == out, f"{name}: in place as with --output ({r.returncode})")
            check(exists(name + ".bak") == backup and (not backup or read(name + ".bak") == CONFIG), f"{name}: backup {backup}")

        # 6. idempotent; --model ID
        r = run([llamaplan, "swap", "out.yaml", "--output", "again.yaml"] + M, tmp, env)
        check(r.returncode == 0 and read("again.yaml") == out, "rewriting the result changed it")
        check(all("unchanged" in summary_of(r.stdout).get(m, "") for m in PLANNED), "rewriting the result: not all unchanged")
        r = run([llamaplan, "swap", "config.yaml", "--model", "gemma", "--output", "gemma.yaml"] + M, tmp, env)
        check(r.returncode == 0, f"--model gemma: exit 0 ({r.returncode})")
        check_rewrite(CONFIG, read("gemma.yaml"), {"gemma"}, set(SKIPPED) | (PLANNED - {"gemma"}), False, "--model gemma")

        # 5. side by side: re-plan each rewritten cmd with all its planning flags pinned, sum per device
        doc = yaml.load(out, Loader=yaml.BaseLoader)
        free = {"CPU": machine["host"]["memory_available"], "RTX test": machine["devices"][0]["memory_free"]}
        together = plan_bytes(llamaplan, doc, SIDE_BY_SIDE, M, tmp, env)
        alone = {}
        for m in ("llama-8b.gguf", os.path.join("my models", "Llama 8B copy.gguf")):
            r = run([llamaplan, "plan", os.path.join(models, m), "--json"] + M, tmp, env)
            for d in json.loads(r.stdout)["devices"]:
                alone[d["name"]] = alone.get(d["name"], 0) + d["planned"]
        for dev, total in together.items():
            check(total <= free[dev], f"side by side: {dev}: {total >> 20} MiB planned, {free[dev] >> 20} MiB free")
        check(alone["RTX test"] > free["RTX test"], "the two 8B models planned alone would fit together: the check proves nothing")
        print(f"side by side: {', '.join(f'{d} {t >> 20} of {free[d] >> 20} MiB' for d, t in together.items())}; "
              f"the 8B pair planned alone would need {alone['RTX test'] >> 20} MiB of the GPU")

        # matrix sets: the pair set's two 8B models fit together, and so do coder and draft
        with open(os.path.join(tmp, "matrix.yaml"), "w") as f:
            f.write(MATRIX)
        r = run([llamaplan, "swap", "matrix.yaml", "--output", "matrix-out.yaml"] + M, tmp, env)
        check(r.returncode == 0, f"matrix: exit 0 ({r.returncode} {r.stderr})")
        check_rewrite(MATRIX, read("matrix-out.yaml"), {"coder", "chat", "draft"}, set(), False, "matrix.yaml")
        mdoc = yaml.load(read("matrix-out.yaml"), Loader=yaml.BaseLoader)
        for members in (["coder", "chat"], ["coder", "draft"]):
            for dev, total in plan_bytes(llamaplan, mdoc, members, M, tmp, env).items():
                check(total <= free[dev], f"matrix set {members}: {dev}: {total >> 20} MiB planned, {free[dev] >> 20} MiB free")

        # a -md draft found in a cmd is planned with its model: the rewrite keeps the draft's flags, and re-planned
        # with every planning flag pinned and the draft, it fits the GPU; the plan made without the draft does not
        draft_words = [w.format(models=models) for w in DRAFT_WORDS]
        for name, text in (("draft.yaml", DRAFT), ("nodraft.yaml", DRAFT.replace(DRAFT.splitlines()[4], "      --spec-draft-n-max 8"))):
            with open(os.path.join(tmp, name), "w") as f:
                f.write(text)
            r = run([llamaplan, "swap", name, "--output", "out-" + name] + M, tmp, env)
            check(r.returncode == 0, f"{name}: exit 0 ({r.returncode} {r.stderr})")
        check_rewrite(DRAFT, read("out-draft.yaml"), {"spec"}, set(), False, "draft.yaml")
        fits = {}
        for name in ("draft.yaml", "nodraft.yaml"):
            words = lss.argv_of(yaml.load(read("out-" + name), Loader=yaml.BaseLoader), "spec", False)
            argv = ["llama-server", "-m", os.path.join(models, "llama-8b.gguf")] + planning_of(words) + draft_words
            r = run([llamaplan, "plan", "--json"] + M + ["--"] + argv, tmp, env)
            gpu = sum(d["planned"] for d in json.loads(r.stdout).get("devices", []) if d["name"] == "RTX test") if r.stdout else 0
            fits[name] = r.returncode == 0 and gpu <= free["RTX test"]
            print(f"{name}: planning flags {planning_of(words)}: with the draft exit {r.returncode}, GPU {gpu >> 20} MiB")
            if name == "draft.yaml":
                check(draft_words[0] in words and words[words.index("-md") + 1] == draft_words[1], f"draft.yaml: -md not kept: {words}")
        check(fits["draft.yaml"], "draft.yaml: the rewritten cmd with its draft does not fit the GPU")
        check(not fits["nodraft.yaml"], "the plan made without the draft fits with it too: the check proves nothing")

        # 7. a model that does not fit: exit 3, left as written and said so
        r = run([llamaplan, "swap", "config.yaml", "--machine", "small.json", "--output", "small.yaml"], tmp, env)
        check(r.returncode == 3, f"nothing fits: exit 3 ({r.returncode} {r.stderr})")
        summary = summary_of(r.stdout)
        unfit = {m for m in PLANNED if "left as written" in summary.get(m, "")}
        check(unfit >= {"llama-8b", "llama-8b-spaces"}, f"the 8B models are not reported as not fitting: {summary}")
        check_rewrite(CONFIG, read("small.yaml"), PLANNED - unfit, set(SKIPPED) | unfit, False, "small machine")

        # Windows: --windows splitting, a relative path with a backslash and a space, a missing D:\ path, a .bat
        r = run([llamaplan, "swap", "windows.yaml", "--windows", "--output", "windows-out.yaml"] + M, tmp, env)
        check(r.returncode == 0, f"windows: exit 0 ({r.returncode} {r.stderr})")
        check_rewrite(WINDOWS, read("windows-out.yaml"), {"qwen"}, {"phi", "bat"}, True, "windows.yaml")
        summary = summary_of(r.stdout)
        check("not found" in summary.get("phi", "") and "not a llama-server command" in summary.get("bat", ""),
              f"windows: phi / bat not reported: {summary}")
        # the same config with CRLF line endings: the same rewrite, with CRLF line endings (--dry-run: a CRLF diff)
        with open(os.path.join(tmp, "crlf.yaml"), "w", newline="") as f:
            f.write(WINDOWS.replace("\n", "\r\n"))
        r = run([llamaplan, "swap", "crlf.yaml", "--windows", "--output", "crlf-out.yaml"] + M, tmp, env)
        check(r.returncode == 0 and read("crlf-out.yaml") == read("windows-out.yaml").replace("\n", "\r\n"),
              f"CRLF config: not the LF rewrite with CRLF line endings ({r.returncode} {r.stderr!r})")
        r = run([llamaplan, "swap", "crlf.yaml", "--windows", "--dry-run"] + M, tmp, env)
        check(r.returncode == 0 and read("crlf.yaml") == WINDOWS.replace("\n", "\r\n") and not exists("crlf.yaml.bak"),
              "CRLF --dry-run wrote something")
        diff = subprocess.run([llamaplan, "swap", "crlf.yaml", "--windows", "--dry-run"] + M, capture_output=True, cwd=tmp, env=env).stdout.decode()
        check(apply_diff(WINDOWS.replace("\n", "\r\n"), diff) == read("crlf-out.yaml"), "CRLF --dry-run: the diff does not give the rewrite")
        with open(os.path.join(tmp, "mixed.yaml"), "w", newline="") as f:
            f.write(WINDOWS.replace("\n", "\r\n", 3))
        r = run([llamaplan, "swap", "mixed.yaml", "--windows"] + M, tmp, env)
        check(r.returncode == 2 and "CRLF" in r.stderr and not exists("mixed.yaml.bak"), f"mixed line endings: exit 2 ({r.returncode})")
        words = raw_words(yaml.load(read("windows-out.yaml"), Loader=yaml.BaseLoader)["models"]["qwen"]["cmd"], True)
        check(words[:3] == ["C:\\llama.cpp\\llama-server.exe", "-m", "models\\llama 8b.gguf"], f"windows: argv {words[:3]}")
    finally:
        shutil.rmtree(tmp)
    if FAILURES:
        print(f"{len(FAILURES)} failures")
        return 1
    print("llamaplan swap end to end: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
