#!/usr/bin/env python3
"""Wall time of two assetbuild binaries, run by turns (before, after, before, …) so that the load of
a shared machine falls on both alike. See bench/README.md ("Full path: instruction counts").

  bench/alternate.py BEFORE DIR_B AFTER DIR_A [--runs 15] [--case noop-build|noop-status|full|edit]

Each binary works in its own directory, built by it beforehand (bench/fullpath.sh N DIR BINARY
makes one): each writes a stamp and a record the other does not accept.

  noop-build, noop-status  `assetbuild build` / `status`, nothing changed (the stamp answers)
  full                     `assetbuild build` with the stamp removed (parse, check, plan everything)
  edit                     `assetbuild build` after a new prompt for target t000000 (one image made)

Prints the median and minimum wall ms of each, the median CPU ms (user + system, which moves less
with the load than wall time), and the peak RSS of one more run (GNU time).
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from noop import peak_rss_kib  # noqa: E402

EDITED = re.compile(r'^(  t000000:\n    prompt: ")[^"]*(")', re.M)


def prepare(case: str, cwd: str, run: int) -> None:
    if case == "full":
        stamp = os.path.join(cwd, ".assetbuild", "noop-stamp")
        if os.path.exists(stamp):
            os.remove(stamp)
    elif case == "edit":
        path = os.path.join(cwd, "assetbuild.yaml")
        with open(path) as f:
            text = f.read()
        # A prompt never used before, so the edited target is generated, not restored.
        text, n = EDITED.subn(rf"\g<1>Benchmark tile 0, edit {os.getpid()}-{run}\g<2>", text, count=1)
        if n != 1:
            sys.exit(f"error: no target t000000 with a prompt in {path}")
        with open(path, "w") as f:
            f.write(text)


def run(argv, cwd, env):
    """Runs argv; returns (wall seconds, CPU seconds, exit status, output)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = p.stdout.read()
    _, status, usage = os.wait4(p.pid, 0)
    p.stdout.close()
    return time.perf_counter() - t0, usage.ru_utime + usage.ru_stime, os.waitstatus_to_exitcode(status), out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("before"); ap.add_argument("before_dir")
    ap.add_argument("after"); ap.add_argument("after_dir")
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--case", choices=["noop-build", "noop-status", "full", "edit"], default="noop-build")
    args = ap.parse_args()
    env = dict(os.environ, NO_COLOR="1")
    env.pop("ASSETBUILD_CACHE_DIR", None)
    command = "status" if args.case == "noop-status" else "build"
    sides = [("before", os.path.abspath(args.before), args.before_dir), ("after", os.path.abspath(args.after), args.after_dir)]
    times = {name: [] for name, _, _ in sides}
    cpu = {name: [] for name, _, _ in sides}
    for i in range(args.warmup + args.runs):
        for name, binary, cwd in sides:
            prepare(args.case, cwd, i)
            t, c, rc, out = run([binary, command], cwd, env)
            if rc != 0:
                sys.exit(f"error: {name} `assetbuild {command}` exited {rc} in {cwd}:\n{out.decode(errors='replace')[-2000:]}")
            if i >= args.warmup:
                times[name].append(t * 1000)
                cpu[name].append(c * 1000)
    print(f"{args.case}: {args.warmup} warm-up + {args.runs} runs each, by turns")
    for name, binary, cwd in sides:
        prepare(args.case, cwd, args.warmup + args.runs)
        rss = peak_rss_kib([binary, command], cwd, env) / 1024
        ts = times[name]
        print(f"  {name:<7} wall median {statistics.median(ts):8.1f} ms  min {min(ts):8.1f} ms"
              f"  CPU median {statistics.median(cpu[name]):8.1f} ms  peak RSS {rss:6.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
