#!/usr/bin/env python3
"""Checks that the version guard and the ABI tag of include/llamaplan/config.hpp can actually fire.

1. The version in VERSION, the LLAMAPLAN_VERSION_* macros, LLAMAPLAN_VERSION_STRING and the literal the version check
   compares with all agree.
2. A translation unit that includes llamaplan and then a copy of another version (same include guards) fails to
   compile with the version error; the same with a copy of the same version compiles.
3. Two translation units built with different LLAMAPLAN_MAX_* fail to link (the ABI-tagged inline namespace gives
   their functions different mangled names); the same two built with equal capacities link and run.

usage: abi_check.py CXX SOURCE_DIR
"""
import pathlib
import re
import subprocess
import sys
import tempfile


def compile_cmd(cxx, inc, *args):
    return [cxx, "-std=c++20", "-I", str(inc), *args]


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True)


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    cxx, root = sys.argv[1], pathlib.Path(sys.argv[2])
    inc = root / "include"
    config = (inc / "llamaplan" / "config.hpp").read_text(encoding="utf-8")
    failures = []

    # 1. one version everywhere
    version = (root / "VERSION").read_text(encoding="utf-8").strip()
    major, minor, patch = (int(x) for x in version.split("."))
    macro = {k: int(re.search(rf"#define LLAMAPLAN_VERSION_{k} (\d+)", config).group(1)) for k in ("MAJOR", "MINOR", "PATCH")}
    string = re.search(r'#define LLAMAPLAN_VERSION_STRING "([^"]+)"', config).group(1)
    literal = int(re.search(r"defined\(LLAMAPLAN_VERSION\) && LLAMAPLAN_VERSION != (\d+)", config).group(1))
    if (macro["MAJOR"], macro["MINOR"], macro["PATCH"]) != (major, minor, patch) or string != version:
        failures.append(f"VERSION says {version}, config.hpp says {macro} / {string}")
    if literal != major * 10000 + minor * 100 + patch:
        failures.append(f"the version check compares with {literal}, not {major * 10000 + minor * 100 + patch}")

    with tempfile.TemporaryDirectory(prefix="llamaplan_abi_") as tmp:
        tmp = pathlib.Path(tmp)

        # 2. a second copy of config.hpp from another version, included after the real one
        def copy_of(version_tuple, name):
            ma, mi, pa = version_tuple
            text = re.sub(r"LLAMAPLAN_VERSION != \d+", f"LLAMAPLAN_VERSION != {ma * 10000 + mi * 100 + pa}", config)
            text = re.sub(r"#define LLAMAPLAN_VERSION_MAJOR \d+", f"#define LLAMAPLAN_VERSION_MAJOR {ma}", text)
            text = re.sub(r"#define LLAMAPLAN_VERSION_MINOR \d+", f"#define LLAMAPLAN_VERSION_MINOR {mi}", text)
            text = re.sub(r"#define LLAMAPLAN_VERSION_PATCH \d+", f"#define LLAMAPLAN_VERSION_PATCH {pa}", text)
            d = tmp / name / "llamaplan"
            d.mkdir(parents=True)
            (d / "config.hpp").write_text(text, encoding="utf-8")
            return tmp / name

        for other, name, should_fail in (((major, minor, patch + 1), "newer", True), ((major, minor, patch), "same", False)):
            other_inc = copy_of(other, name)
            tu = tmp / f"two_{name}.cpp"
            tu.write_text(f'#include <llamaplan.hpp>\n#include "{other_inc}/llamaplan/config.hpp"\nint main() {{ return 0; }}\n')
            r = run(compile_cmd(cxx, inc, "-fsyntax-only", str(tu)))
            failed = r.returncode != 0
            if should_fail and not (failed and "two different versions of llamaplan" in r.stderr):
                failures.append(f"llamaplan {version} then a {name} copy: expected the version error, got rc {r.returncode}")
            if not should_fail and failed:
                failures.append(f"llamaplan then a copy of the same version failed to compile:\n{r.stderr[-2000:]}")

        # 3. capacities differ between two translation units -> link error
        (tmp / "lib.cpp").write_text(
            "#include <llamaplan.hpp>\n"
            "int n_rules(const llamaplan::launch_params& p) { return static_cast<int>(p.overrides.size()); }\n")
        (tmp / "main.cpp").write_text(
            "#include <llamaplan.hpp>\n"
            "int n_rules(const llamaplan::launch_params& p);\n"
            "int main() { llamaplan::launch_params p; return n_rules(p); }\n")
        for defs, should_link in (([], True), (["-DLLAMAPLAN_MAX_OVERRIDES=16"], False)):
            objs = []
            for src, extra in (("lib", defs), ("main", [])):
                obj = tmp / f"{src}{len(defs)}.o"
                r = run(compile_cmd(cxx, inc, *extra, "-c", str(tmp / f"{src}.cpp"), "-o", str(obj)))
                if r.returncode != 0:
                    failures.append(f"{src}.cpp {' '.join(extra)} did not compile:\n{r.stderr[-2000:]}")
                objs.append(str(obj))
            exe = tmp / f"linked{len(defs)}"
            r = run([cxx, *objs, "-o", str(exe)])
            if should_link:
                if r.returncode != 0:
                    failures.append(f"equal capacities did not link:\n{r.stderr[-2000:]}")
                elif run([str(exe)]).returncode != 0:
                    failures.append("equal capacities: the program did not return 0")
            elif r.returncode == 0 or "n_rules" not in r.stderr:
                failures.append(f"LLAMAPLAN_MAX_OVERRIDES 16 against 32 linked (rc {r.returncode}): the ABI tag does not work")

    for f in failures:
        print("FAILED:", f, file=sys.stderr)
    print(f"abi_check: {'ok' if not failures else f'{len(failures)} failure(s)'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
