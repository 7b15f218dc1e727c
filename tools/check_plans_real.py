#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Runs llamaplan's plans with a real llama-server and records what it allocated (tests/data/real_plans).

For every case below: write the synthetic model (llamaplan_write_models; quantized ones through llama-quantize), plan
it with `llamaplan plan MODEL --machine tests/data/real_plans/machines/NAME.json --preset P FLAGS --json`, run the
plan's own argv with llama-server on 127.0.0.1 (plus `--host --port --no-warmup -lv 4`, which change no buffer), stop
it with SIGINT once it says "all slots are idle", and write one row per case: the argv it ran, the context and batch
it printed, and every `... buffer size = X MiB` line. tests/adapters/test_plans_real.cpp re-plans every row and
compares. A case whose argv repeats an earlier case of the same model is planned but not run again (counted only).

usage: check_plans_real.py --llamaplan BIN --write-models BIN --llama-server BIN --llama-quantize BIN
                           [--data tests/data/real_plans] [--work DIR] [--only MODEL]
llama.cpp is not built here: pass a CPU build (see tests/data/real_plans/README.md for the commit it was measured
with); its machine must have the CPU features the machine files say (cpu_repack, cpu_amx), which this script checks.
"""
import argparse, csv, json, os, re, select, shutil, signal, socket, subprocess, sys, tempfile, time

# (machine file, preset, pinned flags); "cpu" is the measuring machine as probed, "tight" the same CPU with 2100 MiB
# of RAM available (a 4 GiB host), so that most presets have to shrink the context or the KV cache type.
COMMON = [
    ("cpu", "balanced", []),
    ("cpu", "high_speed", []),
    ("cpu", "more_context", []),
    ("tight", "balanced", []),
    ("tight", "more_context", []),
]
PINNED = {
    "llama-4L-512": [("cpu", "balanced", ["-np", "1"]), ("tight", "balanced", ["--no-repack"]),
                     ("cpu", "balanced", ["-lm", "none"]), ("tight", "balanced", ["-cram", "0"]),
                     ("cpu", "quality", ["-np", "2"]), ("cpu", "balanced", ["-c", "3000", "-ctk", "q8_0", "-ctv", "q8_0"]),
                     ("cpu", "balanced", ["-fa", "off"]), ("tight", "ultra_performance", ["-np", "3"]),
                     ("tight", "system_safe", ["--host-margin", "1GiB"])],
    "llama-tied-3L-384": [("tight", "long_context", ["-ub", "256"])],
    "qwen2-3L-448": [("cpu", "balanced", ["-ctk", "q8_0", "-ctv", "q8_0"]), ("tight", "balanced", ["-fa", "off"])],
    "qwen3moe-e8u2": [("tight", "balanced", ["-np", "1"]), ("tight", "ultra_performance", ["--no-repack"]),
                      ("cpu", "moe_optimized", []), ("tight", "balanced", ["-np", "2"]),
                      ("cpu", "balanced", ["-c", "5000", "-fa", "off"])],
    "qwen3moe-e32u6": [("cpu", "quality", ["-np", "4", "-kvu"])],
    "gemma3-6L-swa160": [("cpu", "balanced", ["-np", "3"]), ("cpu", "balanced", ["--swa-full"]),
                         ("tight", "quality", ["-fa", "off"])],
    "gemma2-4L-swa512": [("cpu", "balanced", ["-np", "2", "-fa", "off"]), ("tight", "long_context", [])],
    "deepseek2-mla-3L": [("cpu", "balanced", ["-fa", "off"]), ("tight", "balanced", ["-np", "2"])],
    "deepseek2-mla-4L-512": [("cpu", "balanced", ["-ctk", "q8_0"])],
    "mamba2-3L-256": [("cpu", "balanced", ["-np", "2", "-fa", "off"]), ("cpu", "balanced", ["-np", "4"])],
    "mamba-3L-256": [("cpu", "balanced", ["-np", "3"])],
    "granitehybrid-4L-256": [("cpu", "balanced", ["-np", "4"]), ("cpu", "balanced", ["-np", "2", "-kvu"]),
                             ("tight", "balanced", ["-np", "3", "-fa", "off"])],
    "nemotron-h-6L-256": [("cpu", "balanced", ["-np", "2"]), ("cpu", "balanced", ["-fa", "off"])],
    "phi3-4L-384": [("tight", "balanced", ["-np", "2"]), ("cpu", "balanced", ["-fa", "off"])],
    "llama-4L-512-Q4_0": [("cpu", "balanced", ["--no-repack"]), ("tight", "balanced", ["-np", "2"])],
    "llama-4L-512-Q4_K_M": [("cpu", "balanced", ["-np", "2", "-fa", "off"])],
    "qwen3moe-e8u2-Q4_0": [("cpu", "moe_optimized", ["-np", "2"])],
    "deepseek2-mla-4L-512-Q4_K_M": [("cpu", "balanced", ["-fa", "off"])],
}
# llama-quantize <F16 model> <out> <type> 2, as tests/data/extra measured them (tensor lists in tests/data/extra/tensors)
QUANTIZED = {
    "llama-4L-512-Q4_0": ("llama-4L-512", "Q4_0"),
    "llama-4L-512-Q4_K_M": ("llama-4L-512", "Q4_K_M"),
    "qwen3moe-e8u2-Q4_0": ("qwen3moe-e8u2", "Q4_0"),
    "deepseek2-mla-4L-512-Q4_K_M": ("deepseek2-mla-4L-512", "Q4_K_M"),
}
# Models not run (none: every synthesized architecture's compute graph is modelled, tests/data/extra/README.md).
SKIPPED = set()

BUFFER = re.compile(r"^.*?(\S+)\s+(model|KV|RS|output|compute) buffer size =\s+([0-9.]+) MiB")
CONTEXT = re.compile(r"llama_context: (n_ctx|n_ctx_seq|n_batch|n_ubatch|flash_attn)\s+=\s+(\S+)")
SLOTS = re.compile(r"initializing, n_slots = (\d+), n_ctx_slot = (\d+)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_server(server, argv, timeout=180):
    """Runs llama-server with `argv` (the plan's, after the program name) until it is idle; returns (log, rc, loaded)."""
    cmd = [server] + argv + ["--host", "127.0.0.1", "--port", str(free_port()), "--no-warmup", "-lv", "4"]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, preexec_fn=lambda: os.nice(10))
    out, loaded, deadline, buf = [], False, time.time() + timeout, b""
    while time.time() < deadline:
        r, _, _ = select.select([p.stdout], [], [], 1.0)
        if not r:
            if p.poll() is not None:
                break
            continue
        chunk = os.read(p.stdout.fileno(), 65536)
        if not chunk:
            break
        buf += chunk
        if b"all slots are idle" in buf:
            loaded = True
            break
    if p.poll() is None:
        p.send_signal(signal.SIGINT)
    try:
        rest, _ = p.communicate(timeout=30)
        buf += rest or b""
    except subprocess.TimeoutExpired:
        p.kill()
        rest, _ = p.communicate()
        buf += rest or b""
    return buf.decode("utf-8", "replace"), p.returncode, loaded


def parse_log(log):
    """Every buffer line (SWA caches apart as KV_SWA), the llama_context values and the slots."""
    buffers, seen, swa, ctx, slots = [], set(), False, {}, None
    for line in log.splitlines():
        if "creating     SWA KV cache" in line or "creating SWA KV cache" in line:
            swa = True
        elif "creating non-SWA KV cache" in line:
            swa = False
        m = BUFFER.match(line)
        if m:
            name, kind, mib = m.groups()
            key = f"{'KV_SWA' if kind == 'KV' and swa else kind}:{name}"
            if key in seen:
                raise RuntimeError(f"buffer {key} printed twice")
            seen.add(key)
            buffers.append(f"{key}={mib}")
        m = CONTEXT.search(line)
        if m:
            ctx.setdefault(m.group(1), m.group(2))
        m = SLOTS.search(line)
        if m:
            slots = (m.group(1), m.group(2))
    return buffers, ctx, slots


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for a in ("--llamaplan", "--write-models", "--llama-server", "--llama-quantize"):
        ap.add_argument(a, required=True)
    ap.add_argument("--data", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "real_plans"))
    ap.add_argument("--work", help="directory for the models (default: a temporary one, removed after)")
    ap.add_argument("--only", action="append", help="only this model (repeatable); the CSV is then not written")
    a = ap.parse_args()

    machines = {}
    for name in ("cpu", "tight"):
        path = os.path.abspath(os.path.join(a.data, "machines", name + ".json"))
        machines[name] = path
        saved = json.load(open(path))["host"]
        probed = json.loads(subprocess.check_output([a.llamaplan, "specs", "--json"], text=True))["host"]
        for k in ("cpu_repack", "cpu_amx"):
            if saved[k] != probed[k]:
                sys.exit(f"{path}: {k} = {saved[k]}, but this machine has {probed[k]}: the plan's buffers would not match")

    work = a.work or tempfile.mkdtemp(prefix="llamaplan-real-")
    os.makedirs(work, exist_ok=True)
    subprocess.check_call([a.write_models, work], stdout=subprocess.DEVNULL)
    for qid, (base, qtype) in QUANTIZED.items():
        out = os.path.join(work, qid + ".gguf")
        if not os.path.exists(out):
            subprocess.check_call([a.llama_quantize, os.path.join(work, base + ".gguf"), out, qtype, "2"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    models = sorted(f[:-5] for f in os.listdir(work) if f.endswith(".gguf") and f[:-5] not in SKIPPED)
    rows, repeats = [], 0
    for mid in models:
        if a.only and mid not in a.only:
            continue
        path = os.path.join(work, mid + ".gguf")
        ran = set()
        for machine, preset, flags in COMMON + PINNED.get(mid, []):
            r = subprocess.run([a.llamaplan, "plan", path, "--machine", machines[machine], "--preset", preset, "--json"] + flags,
                               capture_output=True, text=True)
            if r.returncode not in (0, 3):
                sys.exit(f"llamaplan plan {mid} {preset} {flags}: {r.stderr.strip()}")
            plan = json.loads(r.stdout)
            argv = plan["argv"] if plan["ok"] else plan["closest"]["argv"]  # nothing fits: the closest plan
            assert argv[1:3] == ["-m", path], argv
            key = tuple(argv[3:])
            if key in ran:
                repeats += 1
                continue
            ran.add(key)
            t0 = time.time()
            log, rc, loaded = run_server(a.llama_server, argv[1:])
            buffers, ctx, slots = parse_log(log)
            rows.append({
                "model": mid, "machine": machine, "preset": preset, "flags": " ".join(flags),
                "fits": int(bool(plan["ok"])), "argv": " ".join(argv[3:]), "loaded": int(loaded), "rc": rc,
                "n_ctx": ctx.get("n_ctx", ""), "n_ctx_seq": ctx.get("n_ctx_seq", ""), "n_batch": ctx.get("n_batch", ""),
                "n_ubatch": ctx.get("n_ubatch", ""), "flash_attn": ctx.get("flash_attn", ""),
                "n_slots": slots[0] if slots else "", "n_ctx_slot": slots[1] if slots else "",
                "buffers": ";".join(buffers),
            })
            print(f"{mid:28} {machine:5} {preset:17} {' '.join(flags):28} {'loaded' if loaded else 'FAILED rc=%s' % rc}"
                  f" ({time.time() - t0:.1f} s) n_ctx={rows[-1]['n_ctx']} {rows[-1]['buffers']}", flush=True)
            if not loaded:
                print(log[-3000:], file=sys.stderr)
    if not a.work:
        shutil.rmtree(work)
    print(f"{len(rows)} rows, {sum(r['loaded'] for r in rows)} loaded; {repeats} cases repeated an earlier argv")
    if a.only:
        return 0
    with open(os.path.join(a.data, "measured.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
