"""Every translation unit of a build, compiled again by Clang (syntax and warnings only).

The project builds with GCC (Debian 12's g++ 12) by default and with Clang (Debian 12's clang 14,
`cmake --preset clang`). This check keeps the second working without a second full build: it takes
the build's compile_commands.json, swaps the compiler for clang++ and compiles every source file
with -fsyntax-only -Werror, two at a time. Exit 77 (ctest's skip code here) when clang++ is not
installed; 1 with the failing files and Clang's messages when any source does not compile cleanly.

usage: /usr/bin/python3 tests/clang_syntax.py BUILD_DIR [CLANGXX]
"""

import concurrent.futures
import json
import os
import shlex
import shutil
import subprocess
import sys

SKIP = 77


def clang_command(entry, clangxx):
    """The entry's compiler command with clang++ in place of the compiler (and of any launcher)."""
    args = entry["arguments"] if "arguments" in entry else shlex.split(entry["command"])
    # Drop a launcher such as ccache and the compiler itself.
    while args and os.path.basename(args[0]) in ("ccache", "sccache", "distcc"):
        args = args[1:]
    args = args[1:]
    out = [clangxx, "-fsyntax-only", "-Werror"]
    skip_next = False
    for a in args:
        if skip_next:
            skip_next = False
            continue
        if a == "-o":  # no object file is written
            skip_next = True
            continue
        if a == "-c":
            continue
        out.append(a)
    return out


def check(entry, clangxx):
    cmd = clang_command(entry, clangxx)
    r = subprocess.run(cmd, cwd=entry["directory"], capture_output=True, text=True)
    return entry["file"], r.returncode, r.stderr


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 2 if len(argv) < 2 else 0
    db = os.path.join(argv[1], "compile_commands.json")
    clangxx = argv[2] if len(argv) > 2 else shutil.which("clang++")
    if not clangxx or not shutil.which(clangxx):
        print("clang++ not found: skipped (apt-get install clang to run this check)")
        return SKIP
    try:
        with open(db) as f:
            entries = json.load(f)
    except (OSError, ValueError) as e:
        print(f"{db}: cannot read the build's compile commands ({e}); configure with "
              "CMAKE_EXPORT_COMPILE_COMMANDS=ON")
        return 1
    # Sources generated into the build tree are the build's business, not the project's.
    entries = [e for e in entries if not os.path.abspath(e["file"]).startswith(os.path.abspath(argv[1]))]
    if not entries:
        print(f"{db}: no source files listed")
        return 1
    failed = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        for path, rc, err in pool.map(lambda e: check(e, clangxx), entries):
            if rc != 0:
                failed.append((path, err))
    version = subprocess.run([clangxx, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    if failed:
        for path, err in failed:
            print(f"== {path}\n{err}")
        print(f"{len(failed)} of {len(entries)} translation units do not compile cleanly with {version}")
        return 1
    print(f"{len(entries)} translation units compile cleanly with {version}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
