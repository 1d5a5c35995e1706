#!/usr/bin/env bash
# Instructions of one full-path `assetbuild build` and `status` (the no-op stamp removed: parse,
# check and plan every target, every key a cache hit) and of their stamp no-ops, under callgrind.
# See bench/README.md ("Full path: instruction counts").
#
#   bench/fullpath.sh N DIR [ASSETBUILD]
#     N           targets (bench/noop.py's manifest: N image targets, 1,000 reference files)
#     DIR         work directory for this binary; generated and built on first use, kept after
#     ASSETBUILD  the binary (default .build/release/assetbuild)
#
# Give each binary its own DIR: each writes a stamp and a record the other does not accept.
# Writes DIR/full.out, stamp.out, stamp-status.out and full-status.out (read them with
# `callgrind_annotate`) and prints their totals.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
n="${1:?usage: bench/fullpath.sh N DIR [ASSETBUILD]}"
dir="$(realpath -m "${2:?usage: bench/fullpath.sh N DIR [ASSETBUILD]}")"
binary="$(realpath "${3:-$repo/.build/release/assetbuild}")"
for tool in valgrind gcc objcopy callgrind_annotate python3; do
    command -v "$tool" >/dev/null || { echo "bench/fullpath.sh: missing $tool (apt-get install -y valgrind gcc binutils python3)" >&2; exit 2; }
done
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
gcc -O2 -shared -fPIC -o "$tmp/sigsuspend.so" "$here/valgrind-sigsuspend.c"
objcopy --strip-debug "$binary" "$tmp/assetbuild"   # valgrind 3.19 cannot read Swift's DWARF

if [[ ! -f "$dir/assetbuild.yaml" ]]; then
    mkdir -p "$dir"
    python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); import noop; noop.gen_assetbuild(sys.argv[2], int(sys.argv[3]))' \
        "$here" "$dir" "$n"
    "$binary" build -C "$dir" >/dev/null 2>&1
fi
"$binary" build -C "$dir" >/dev/null 2>&1   # written by this binary: a no-op from here on

profile() { # OUT COMMAND: one `assetbuild COMMAND` under callgrind
    (cd "$dir" && env LD_PRELOAD="$tmp/sigsuspend.so" valgrind --tool=callgrind --callgrind-out-file="$1" \
        "$tmp/assetbuild" "$2" >/dev/null 2>"$tmp/valgrind.log") || { cat "$tmp/valgrind.log" >&2; exit 1; }
    callgrind_annotate "$1" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); printf "%.1f M\n", $1 / 1e6 }'
}
# The stamp holds the running executable's identity, which under valgrind is the tool's: only a
# build under callgrind writes one that the next run under callgrind accepts.
rm -f "$dir/.assetbuild/noop-stamp"
echo "full path   build  N=$n: $(profile "$dir/full.out" build)"
echo "stamp no-op build  N=$n: $(profile "$dir/stamp.out" build)"
echo "stamp no-op status N=$n: $(profile "$dir/stamp-status.out" status)"
rm -f "$dir/.assetbuild/noop-stamp"
echo "full path   status N=$n: $(profile "$dir/full-status.out" status)"
