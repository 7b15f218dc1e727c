#!/usr/bin/env python3
"""Fits the throughput model's efficiency constants (include/llamaplan/perf.hpp, struct perf_constants) on the
public llama.cpp speed data by coordinate descent over multiplicative steps, calling bench/throughput with
--const overrides. The objective is the mean, over the six (file, phase) groups, of the median |relative error|,
plus a small weight on the mean |log error| (so the fit does not trade a few rows away entirely).

    python3 tools/fit_throughput.py BUILD/bench/llamaplan_bench_throughput DIR

Prints the fitted values to paste into perf_constants, and the resulting figures. Constants fitted (15):
bw_gpu bw_metal bw_cpu layer_overhead_gpu_s layer_overhead_metal_s cpu_thread_reach mm_gpu mm_metal cpu_f16 cpu_q8_0
cpu_q4_0 cpu_kquant cpu_iquant cpu_decode_compute mm_gpu_fp16_fallback. Not fitted (no row exercises them):
link_efficiency, hop_latency_s, fa_off_attention_factor.
"""
import math
import re
import subprocess
import sys

FITTED = ["bw_gpu", "bw_metal", "bw_cpu", "layer_overhead_gpu_s", "layer_overhead_metal_s", "cpu_thread_reach",
          "mm_gpu", "mm_metal", "cpu_f16", "cpu_q8_0", "cpu_q4_0", "cpu_kquant", "cpu_iquant", "cpu_decode_compute",
          "mm_gpu_fp16_fallback"]
# fractions of peak stay below 1 (a model that needs more than the peak is wrong, not badly fitted)
UPPER = {k: 1.0 for k in ["bw_gpu", "bw_metal", "bw_cpu", "mm_gpu", "mm_metal", "cpu_f16", "cpu_q8_0", "cpu_q4_0",
                          "cpu_kquant", "cpu_iquant", "mm_gpu_fp16_fallback"]}


def run(bench, data, consts):
    args = [bench, data, "--rows"]
    for k, v in consts.items():
        args += ["--const", f"{k}={v}"]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    med = {}
    logs = []
    for line in out.splitlines():
        m = re.match(r"throughput\.(\w+)\.(decode|prefill)\.median_abs_error ([\d.]+) %", line)
        if m and m.group(1) != "overall":
            med[(m.group(1), m.group(2))] = float(m.group(3))
        m = re.search(r"meas +([\d.]+) pred +([\d.]+)", line)
        if m and float(m.group(2)) > 0:
            logs.append(abs(math.log(float(m.group(2)) / float(m.group(1)))))
    return sum(med.values()) / len(med) + 10.0 * sum(logs) / len(logs), out


def main():
    bench, data = sys.argv[1], sys.argv[2]
    # starting point: rough first guesses (the fitted result is what perf_constants holds)
    consts = {"bw_gpu": 0.86, "bw_metal": 0.90, "bw_cpu": 0.70, "layer_overhead_gpu_s": 3.0e-5,
              "layer_overhead_metal_s": 2.0e-4, "cpu_thread_reach": 2.2, "mm_gpu": 0.22, "mm_metal": 0.70,
              "cpu_f16": 0.25, "cpu_q8_0": 0.45, "cpu_q4_0": 0.50, "cpu_kquant": 0.30, "cpu_iquant": 0.15,
              "cpu_decode_compute": 0.6, "mm_gpu_fp16_fallback": 0.33}
    best, _ = run(bench, data, consts)
    for step in [1.5, 1.2, 1.07, 1.02]:
        improved = True
        while improved:
            improved = False
            for k in FITTED:
                for f in (step, 1 / step):
                    trial = dict(consts)
                    trial[k] = min(consts[k] * f, UPPER.get(k, 1e9))
                    if trial[k] == consts[k]:
                        continue
                    score, _ = run(bench, data, trial)
                    if score < best - 1e-9:
                        best, consts, improved = score, trial, True
        print(f"# step {step}: objective {best:.3f}", file=sys.stderr)
    for k in FITTED:
        print(f"{k} = {consts[k]:.3g}")
    _, out = run(bench, data, consts)
    print("\n".join(l for l in out.splitlines() if not l.startswith("#")))


if __name__ == "__main__":
    main()
