#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Runs llama-server over llama.cpp's RPC backend and records what every device allocated (tests/data/rpc_real).

Each case starts 2 or 3 `ggml-rpc-server` workers on 127.0.0.1 (each exposes this machine's CPU as one device, so
the scheduler splits graphs across real backends as it does across GPUs), then llama-server on a synthetic model
with `--rpc` and the case's flags (plus `--host --port --no-warmup -lv 4 --fit off`, which change no buffer), and
writes one row: the flags, the endpoints, the context it printed and every `... buffer size = X MiB` line, under
llama.cpp's own buffer names (`RPC0[127.0.0.1:61150]`). tests/accuracy/test_rpc_real.cpp estimates every row with
`--rpc` and the workers' machine files and compares buffer by buffer.

usage: check_rpc_real.py --llamaplan BIN --write-models BIN --llama-server BIN --rpc-server BIN --llama-quantize BIN
                         [--data tests/data/rpc_real] [--work DIR] [--port 61150]
Every hand-written case passes -ts, so the split does not depend on the free memory the workers report at that
moment; the planned cases (PLANNED: `preset` set) run the plan's own argv, which always has -ts.
"""
import argparse, csv, json, os, shutil, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_plans_real import QUANTIZED, parse_log, run_server  # noqa: E402

# (model, number of workers, flags); the main host's CPU is the last backend, as in llama.cpp
MOE_OT_W0 = "blk\\.[0-1]\\.ffn_(up|down|gate)_exps=RPC0[{w0}]"
CASES = []
for model in ("llama-4L-512", "qwen3moe-e8u2", "gemma3-6L-swa160", "deepseek2-mla-3L", "mamba2-3L-256",
              "granitehybrid-4L-256", "llama-4L-512-Q4_0", "phi3-4L-384"):
    CASES += [
        (model, 2, "-ngl all -ts 1,1 -c 4096 -ub 512 -np 1"),
        (model, 2, "-ngl all -ts 3,1 -c 2048 -ub 256 -np 2 -fa off"),
        (model, 3, "-ngl all -ts 1,1,1 -c 8192 -ub 1024 -np 4"),
        (model, 2, "-ngl 2 -ts 1,1 -c 4096 -ub 512 -np 1"),
        (model, 2, "-ngl all -ts 1,0 -c 1024 -ub 64 -np 1"),
        (model, 2, "-ngl all -ts 1,1 -c 4096 -ub 2048 -b 2048 -np 1 -nkvo"),
        (model, 3, "-ngl all -ts 2,1,1 -c 1024 -ub 16 -np 1 -fa off"),
        (model, 2, "-ngl all -ts 1,1 -c 16384 -ub 4096 -b 4096 -np 1"),
    ]
for model in ("qwen3moe-e8u2", "qwen3moe-e8u2-Q4_0", "qwen3moe-e32u6"):
    CASES += [
        (model, 2, "-ngl all -ts 1,1 -c 4096 -ub 512 -np 1 --cpu-moe"),
        (model, 2, "-ngl all -ts 1,1 -c 4096 -ub 512 -np 1 --n-cpu-moe 1"),
        (model, 2, "-ngl all -ts 1,1 -c 4096 -ub 512 -np 1 -ot " + MOE_OT_W0),
        (model, 3, "-ngl all -ts 1,1,1 -c 2048 -ub 128 -np 2 -fa off --cpu-moe"),
    ]
for model in ("llama-4L-512", "gemma3-6L-swa160"):
    CASES += [
        (model, 2, "-ngl all -ts 1,1 -c 4096 -ub 512 -np 1 -ot blk\\.1\\.ffn_.*=CPU"),
        (model, 2, "-ngl all -ts 1,1 -c 4096 -ub 512 -np 1 -ot blk\\.0\\.attn_.*=RPC0[{w1}]"),
        (model, 2, "-ngl all -ts 1,1 -c 4096 -ub 512 -np 1 -ctk q8_0 -ctv q8_0"),
        (model, 2, "-ngl all -ts 1,1 -c 4096 -ub 512 -np 1 --no-op-offload"),
    ]


# Plans over workers: `llamaplan plan MODEL --machine ../real_plans/machines/tight.json --host-ram 64MiB --host-margin
# 8MiB --worker EP=../real_plans/machines/cpu.json ... --preset P -- --rpc EP,...`: a host too small for the model, so
# the plan must use the workers; the row's flags are the plan's own argv (after --rpc).
PLANNED = []
for model in ("llama-4L-512", "qwen3moe-e8u2", "gemma3-6L-swa160", "phi3-4L-384", "llama-4L-512-Q4_0",
              "deepseek2-mla-3L", "qwen3moe-e32u6"):
    for n_workers, preset in ((2, "balanced"), (3, "balanced"), (2, "high_speed"), (2, "more_context")):
        PLANNED.append((model, n_workers, preset))
for model in ("qwen3moe-e8u2", "qwen3moe-e32u6"):
    PLANNED.append((model, 2, "moe_optimized"))


def start_workers(rpc_server, ports):
    env = dict(os.environ, LD_LIBRARY_PATH=os.path.dirname(os.path.abspath(rpc_server)))
    procs = []
    for p in ports:
        procs.append(subprocess.Popen([rpc_server, "-H", "127.0.0.1", "-p", str(p)], env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT))
    time.sleep(0.5)
    for p, proc in zip(ports, procs):
        if proc.poll() is not None:
            out = proc.stdout.read().decode("utf-8", "replace")
            stop(procs)
            sys.exit(f"ggml-rpc-server on port {p} exited with {proc.returncode}: {out[-800:]}")
    return procs


def stop(procs):
    for proc in procs:  # ggml-rpc-server keeps nothing: no need to wait for a graceful exit (it ignores SIGINT)
        proc.kill()
    for proc in procs:
        proc.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for a in ("--llamaplan", "--write-models", "--llama-server", "--rpc-server", "--llama-quantize"):
        ap.add_argument(a, required=True)
    ap.add_argument("--data", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "rpc_real"))
    ap.add_argument("--work", help="directory for the models (default: a temporary one, removed after)")
    ap.add_argument("--port", type=int, default=61150, help="first worker port (three in a row; above the ephemeral range, so no client socket holds it)")
    a = ap.parse_args()

    work = a.work or tempfile.mkdtemp(prefix="llamaplan-rpc-")
    os.makedirs(work, exist_ok=True)
    subprocess.check_call([a.write_models, work], stdout=subprocess.DEVNULL)
    for qid, (base, qtype) in QUANTIZED.items():
        out = os.path.join(work, qid + ".gguf")
        if not os.path.exists(out):
            subprocess.check_call([a.llama_quantize, os.path.join(work, base + ".gguf"), out, qtype, "2"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    machines = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "real_plans", "machines")
    cases = [(model, n, flags, "") for model, n, flags in CASES]
    for model, n_workers, preset in PLANNED:
        endpoints = [f"127.0.0.1:{a.port + k}" for k in range(n_workers)]
        cmd = [a.llamaplan, "plan", os.path.join(work, model + ".gguf"), "--machine", os.path.join(machines, "tight.json"),
               "--host-ram", "64MiB", "--host-margin", "8MiB", "--preset", preset, "--json"]
        for ep in endpoints:
            cmd += ["--worker", f"{ep}={os.path.join(machines, 'cpu.json')}"]
        r = subprocess.run(cmd + ["--", "--rpc", ",".join(endpoints)], capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"{' '.join(cmd)}: {r.stderr.strip()}")
        argv = json.loads(r.stdout)["argv"]
        assert argv[3:5] == ["--rpc", ",".join(endpoints)], argv
        cases.append((model, n_workers, " ".join(argv[5:]), preset))
    rows = []
    for model, n_workers, flags, preset in cases:
        ports = [a.port + k for k in range(n_workers)]
        endpoints = [f"127.0.0.1:{p}" for p in ports]
        flags = flags.format(w0=endpoints[0], w1=endpoints[1]) if not preset else flags
        argv = ["-m", os.path.join(work, model + ".gguf"), "--rpc", ",".join(endpoints)] + flags.split()
        if not preset:
            argv += ["--fit", "off"]
        procs = start_workers(a.rpc_server, ports)
        t0 = time.time()
        try:
            log, rc, loaded = run_server(a.llama_server, argv)
        finally:
            stop(procs)
        buffers, ctx, slots = parse_log(log)
        rows.append({
            "model": model, "workers": n_workers, "rpc": ",".join(endpoints), "preset": preset, "flags": flags,
            "loaded": int(loaded),
            "rc": rc, "n_ctx": ctx.get("n_ctx", ""), "n_ubatch": ctx.get("n_ubatch", ""),
            "flash_attn": ctx.get("flash_attn", ""), "buffers": ";".join(buffers),
        })
        print(f"{model:22} {n_workers} {flags:60} {'loaded' if loaded else 'FAILED rc=%s' % rc} ({time.time() - t0:.1f} s)"
              f" {rows[-1]['buffers']}", flush=True)
        if not loaded:
            print(log[-2000:], file=sys.stderr)
    if not a.work:
        shutil.rmtree(work)
    print(f"{len(rows)} rows, {sum(r['loaded'] for r in rows)} loaded")
    os.makedirs(a.data, exist_ok=True)
    with open(os.path.join(a.data, "measured.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
