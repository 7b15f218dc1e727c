#!/usr/bin/env python3
"""Fits the throughput model's efficiency constants (include/llamaplan/perf.hpp, struct perf_constants) and
measures its error bands (perf_bands) on the public llama.cpp speed data.

    python3 tools/fit_throughput.py BUILD/bench/llamaplan_bench_throughput tests/data/public [--write]

The fit itself runs inside bench/throughput (--fit): coordinate descent over multiplicative steps on the rows that
tests/data/public/split.csv does not hold out, from builds that are not forks or patched, whose host the source
states; the objective is the mean over groups and phases of the median |relative error| plus a small weight on the
mean |log error|. The fitted constants are bench/throughput_rows.hpp fitted_constants(); the others are not
exercised by any row. The bands are the 10th / 90th percentile of measured / predicted over each group's fitted
rows (at least the wide default where a group has fewer than 10). --write puts both into perf.hpp; without it the
script prints them.
"""
import re
import subprocess
import sys


def main():
    bench, data = sys.argv[1], sys.argv[2]
    write = "--write" in sys.argv[3:]
    out = subprocess.run([bench, data, "--fit"], capture_output=True, text=True, check=True).stdout
    consts = dict(re.findall(r"^# fitted (\w+) = (\S+)$", out, re.M))
    bands = re.findall(r"^# band (\w+) (\{.*\}),$", out, re.M)
    print("\n".join(f"{k} = {v}" for k, v in consts.items()))
    print("\n".join(f"{g}: {b}" for g, b in bands))
    print("\n".join(l for l in out.splitlines() if not l.startswith("#")))
    if not write:
        return
    path = "include/llamaplan/perf.hpp"
    src = open(path).read()
    for k, v in consts.items():
        src, n = re.subn(rf"(    double {k} = )[^;]+;", rf"\g<1>{v};", src)
        if n != 1:
            sys.exit(f"constant {k} not found once in {path}")
    order = ["one_gpu", "multi_gpu", "offload", "apple", "cpu", "vulkan", "rocm", "unified_cuda"]
    names = {"moe_offload": "offload", "gb10": "unified_cuda"}
    for g, b in bands:
        name = names.get(g, g)
        src, n = re.subn(rf"(    /\* {name} \*/ +)\{{[^}}]*\}}", rf"\g<1>{b}", src)
        if n != 1:
            sys.exit(f"band {name} not found once in {path}")
    open(path, "w").write(src)
    print(f"# wrote {len(consts)} constants and {len(bands)} bands to {path}")


if __name__ == "__main__":
    main()
