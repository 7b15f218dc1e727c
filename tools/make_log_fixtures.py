#!/usr/bin/env python3
"""Generates tests/data/logs/cpu: real llama-server logs with a CPU build of llama.cpp, for the log reader and
calibration tests.

  tools/make_log_fixtures.py LLAMA_BIN_DIR MODELS_DIR [OUT_DIR]

MODELS_DIR holds the synthetic models of tests/accuracy/extra_models.hpp (llamaplan_write_models MODELS_DIR
llama-4L-512 qwen3moe-e8u2 gemma3-6L-swa160 mamba2-3L-256). Every run is llama-server on 127.0.0.1 at -lv 4 (the
level at which llama.cpp 3f545bec prints its buffer lines) with --fit off and --no-warmup; a loaded server gets one
completion request (timings) and one SIGINT (the memory breakdown table). Allocation failures are real: an
address-space limit (RLIMIT_AS, as `ulimit -v` sets it) just below what the weights, the KV cache or the compute
buffer need, measured from a successful run of the same settings. Only the lines the reader reads are kept
(every log is small), each file headed by the command that made it.
"""
import json
import os
import re
import resource
import signal
import subprocess
import sys
import time
import urllib.request

KEEP = re.compile(
    r"build \d|^build: |device_info|^\s+- \w+\s*:|using device|loaded meta data|print_info: (arch|n_ctx_train|n_embd |"
    r"n_layer |general\.name|file type)|load_tensors: (offloaded|.*buffer size)|llama_context: (n_seq_max|n_ctx|n_batch|"
    r"n_ubatch|flash_attn|kv_unified|.*buffer size)|llama_kv_cache.*(size =|buffer size)|llama_memory_recurrent.*(size =|"
    r"buffer size)|sched_reserve: .*(buffer size|graph)|graph (nodes|splits)|srv .*(initializing|prompt cache|model loaded|"
    r"listening|all slots are idle)|eval time|memory_breakdown|failed|error|unable to allocate|out of memory")


def trim(text):
    return "".join(line + "\n" for line in text.splitlines() if KEEP.search(line))


def run_server(bin_dir, model, flags, port, limit_bytes=None, request=False, timeout=90, scrape=None):
    """Runs llama-server; returns (complete log text, VmPeak in bytes or None, argv). With `scrape` (a directory),
    saves its /metrics and /slots after the request."""
    argv = [os.path.join(bin_dir, "llama-server"), "-m", model, "--host", "127.0.0.1", "--port", str(port), "-lv", "4",
            "-fit", "off", "--no-warmup", "-t", "2"] + flags

    def limit():
        if limit_bytes:
            resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))

    log_path = "/tmp/make_log_fixtures.%d.log" % os.getpid()
    with open(log_path, "wb") as out:
        env = dict(os.environ, MALLOC_ARENA_MAX="1")  # fewer malloc arenas: a steadier address-space footprint
        p = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, preexec_fn=limit, env=env)
        vm_peak = None
        t0 = time.time()
        loaded = False
        while time.time() - t0 < timeout:
            if p.poll() is not None:
                break
            with open(log_path, "rb") as f:
                text = f.read().decode("utf-8", "replace")
            if "all slots are idle" in text:
                loaded = True
                break
            time.sleep(0.2)
        if loaded:
            try:
                with open("/proc/%d/status" % p.pid) as f:
                    for line in f:
                        if line.startswith("VmPeak:"):
                            vm_peak = int(line.split()[1]) * 1024
            except OSError:
                pass
            if request:
                body = json.dumps({"prompt": "Once upon a time there was a model that", "n_predict": 24}).encode()
                req = urllib.request.Request("http://127.0.0.1:%d/completion" % port, data=body,
                                             headers={"Content-Type": "application/json"})
                try:
                    urllib.request.urlopen(req, timeout=60).read()
                except Exception as e:  # the log still says what happened
                    print("  request failed:", e, file=sys.stderr)
                time.sleep(0.5)
            if scrape:
                for path, name in (("/metrics", "metrics.txt"), ("/slots", "slots.json")):
                    try:
                        data = urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=10).read()
                        with open(os.path.join(scrape, name), "wb") as f:
                            f.write(data)
                    except Exception as e:
                        print("  scrape %s failed:" % path, e, file=sys.stderr)
            p.send_signal(signal.SIGINT)
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    with open(log_path, "rb") as f:
        text = f.read().decode("utf-8", "replace")
    os.unlink(log_path)
    return text, vm_peak, argv


def mib_sum(text, what):
    return sum(float(m) for m in re.findall(r" %s buffer size =\s+([\d.]+) MiB" % what, text)) * 2**20


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    bin_dir, models = sys.argv[1], sys.argv[2]
    out_dir = sys.argv[3] if len(sys.argv) > 3 else os.path.join(os.path.dirname(__file__), "..", "tests", "data", "logs", "cpu")
    os.makedirs(out_dir, exist_ok=True)
    port = 18740

    def save(name, text, argv, note=""):
        rel = [a if not a.startswith(models) else os.path.basename(a) for a in argv]
        rel[0] = "llama-server"
        header = "# generated by tools/make_log_fixtures.py: llama.cpp 3f545bec, CPU build, this machine\n"
        header += "# command: " + " ".join(rel) + "\n" + (("# " + note + "\n") if note else "")
        with open(os.path.join(out_dir, name + ".log"), "w") as f:
            f.write(header + trim(text))
        print("wrote", name, file=sys.stderr)

    runs = [
        ("llama_c1024_np2", "llama-4L-512", ["-c", "1024", "-np", "2", "-fa", "on", "--metrics", "--slots"]),
        ("qwen3moe_c512", "qwen3moe-e8u2", ["-c", "512", "-np", "1"]),
        ("gemma3_swa_c2048", "gemma3-6L-swa160", ["-c", "2048", "-np", "1", "-fa", "off"]),
        ("mamba2_c512_np2", "mamba2-3L-256", ["-c", "512", "-np", "2"]),
    ]
    for name, model, flags in runs:
        port += 1
        text, _, argv = run_server(bin_dir, os.path.join(models, model + ".gguf"), flags, port, request=True,
                                   scrape=out_dir if "--metrics" in flags else None)
        save(name, text, argv)

    # allocation failures: the same model read into memory (--load-mode none; a mapping would fail in mmap instead).
    # The phase a limit hits is monotone in the limit (too low: the process cannot start; then the weights, the KV
    # cache, the compute buffer; enough: it loads), so each phase's limit is found by bisection from the peak of a
    # successful run.
    model = os.path.join(models, "llama-4L-512.gguf")
    big = ["-c", "16384", "-np", "1", "-fa", "off", "-b", "2048", "-ub", "2048", "--load-mode", "none", "--no-repack"]
    port += 1
    text, peak, argv = run_server(bin_dir, model, big, port)
    if peak is None:
        print("the reference run did not load; no failure logs", file=sys.stderr)
        print(text[-3000:], file=sys.stderr)
        return 1
    save("llama_reference_for_oom", text, argv)
    order = ["other", "weights", "kv", "compute", "none"]

    def phase_of(t):
        if "unable to allocate" in t:
            return "weights"
        if "failed to allocate buffer for kv cache" in t:
            return "kv"
        if "failed to allocate compute" in t or "ggml_gallocr_reserve_n: failed" in t:
            return "compute"
        if "all slots are idle" in t:
            return "none"
        return "other"

    for want in ["weights", "kv", "compute"]:
        lo, hi = peak // 8, peak
        found = None
        for _ in range(14):
            mid = (lo + hi) // 2
            port += 1
            t, _, a = run_server(bin_dir, model, big, port, limit_bytes=mid, timeout=60)
            ph = phase_of(t)
            print("  limit %d: %s" % (mid, ph), file=sys.stderr)
            if ph == want:
                found = (t, a, mid)
                break
            if order.index(ph) < order.index(want):
                lo = mid
            else:
                hi = mid
        if found:
            save("oom_" + want, found[0], found[1], "address-space limit (ulimit -v) %d bytes" % found[2])
        else:
            print("no limit gave a failure in the %s phase" % want, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
