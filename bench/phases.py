#!/usr/bin/env python3
"""Attributes `perf record -g` samples of assetbuild to pipeline phases (used by bench/profile.sh).

Reads `perf script` output on stdin. Each sample's stack is matched, outermost frame first,
against PHASES (substrings of mangled Swift symbols); the sample counts for the first phase that
matches, and within it for the first matching DETAIL. Prints milliseconds of CPU per phase,
given the sampling frequency and the number of runs recorded.
"""

import argparse
import collections
import sys

# (phase, substring of a frame), checked outermost first. Order matters for nested phases.
PHASES = [
    ("manifest: load + check (YAML, options, resolver)", "ManifestLoaderO4load"),
    ("workspace: graph, selection", "AssetBuildCore9WorkspaceV"),
    ("finalize: build record + lock file", "EngineC8finalize"),
    ("execute: BuildRun.buildTarget (decide again)", "RunC11buildTarget"),
    ("prepare: Planner.plan (first decision pass)", "PlannerV4plan_5graph"),
    ("prepare: cache open, loads, reference check", "EngineC7prepare"),
    ("open cache / build lock", "0B5CacheC4open"),
    ("status: print plan", "PlanPrinter"),
    ("engine: other", "AssetBuildCore0B6EngineC"),
    ("argument parsing", "ArgumentParser"),
    ("process start (dynamic loader)", "_dl_"),
]
DETAILS = [
    ("Dictionary<String, TargetOutput> copy-on-write", "NativeDictionaryV4copyyyFSS_14AssetBuildCore12TargetOutput"),
    ("assetbuild.lock read", "LockFile"),
    ("Yams duplicate-key check (Node hashing)", "checkDuplicates"),
    ("Yams tag resolution (NSRegularExpression)", "resolveTag"),
    ("Yams parse/compose (other)", "YAMLTreeV7compose"),
    ("TargetOptions.parse", "TargetOptionsV5parse"),
    ("TargetResolver", "TargetResolverV"),
    ("ManifestChecks", "ManifestChecksV"),
    ("BuildRecord.make (JSON-decodes every state)", "0B6RecordV4make"),
    ("JSONEncoder: build record", "0B6RecordV6encode"),
    ("lock file text", "0B6RecordV8lockFile"),
    ("writeIfChanged (read + compare)", "writeIfChanged"),
    ("cache: materialized/states/actions queries", "0B5CacheC"),
    ("fingerprint: canonical JSON + SHA-256", "FingerprintV10components"),
    ("fingerprint: other", "FingerprinterV11fingerprint"),
    ("checkOutputs (stat per output)", "checkOutputs"),
    ("changeReasons", "changeReasons"),
    ("InputFiles (stat + memo)", "InputFilesC"),
    ("SQLite", "sqlite3"),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--freq", type=float, required=True, help="perf record -F value")
    ap.add_argument("--runs", type=int, default=1, help="runs recorded in the data file")
    args = ap.parse_args()

    per_phase = collections.Counter()
    per_detail = collections.Counter()
    total = 0
    stack = []

    def flush():
        nonlocal total
        if not stack:
            return
        total += 1
        frames = list(reversed(stack))  # outermost first
        phase = "other (runtime, kernel, threads, exit)"
        for name, sub in PHASES:
            if any(sub in f for f in frames):
                phase = name
                break
        per_phase[phase] += 1
        for name, sub in DETAILS:
            if any(sub in f for f in frames):
                per_detail[(phase, name)] += 1
                break
        stack.clear()

    for line in sys.stdin:
        if not line.strip():
            flush()
            continue
        if line[0] in " \t":
            parts = line.split()
            if len(parts) >= 2:
                stack.append(parts[1])
        else:
            flush()
    flush()

    ms = lambda n: n / args.freq * 1000 / args.runs
    print(f"{total} samples, {ms(total):.0f} ms CPU per run (all threads)\n")
    print(f"{'phase / detail':<62} {'ms/run':>8} {'share':>7}")
    for phase, n in per_phase.most_common():
        print(f"{phase:<62} {ms(n):8.1f} {100 * n / total:6.1f}%")
        for (p, d), m in sorted(per_detail.items(), key=lambda kv: -kv[1]):
            if p == phase and 100 * m / total >= 0.5:
                print(f"  {d:<60} {ms(m):8.1f} {100 * m / total:6.1f}%")


if __name__ == "__main__":
    main()
