#!/usr/bin/env bash
# Where a no-op `assetbuild build` spends its time, by pipeline phase (perf + bench/phases.py).
#
#   KEEP=1 bench/noop.sh 10000          # generates and builds; prints the directory it kept
#   bench/profile.sh /tmp/assetbuild-bench-XXXX/n10000/assetbuild [RUNS] [build|status]
#
# Needs `perf` (linux-perf / linux-tools) and permission to use it (perf_event_paranoid <= 2
# for your own processes). Uses the release binary, as bench/noop.sh does.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
binary="${ASSETBUILD:-$here/../.build/release/assetbuild}"
dir="${1:?usage: bench/profile.sh DIR-WITH-A-BUILT-MANIFEST [RUNS] [build|status]}"
runs="${2:-5}"
cmd="${3:-build}"
freq="${FREQ:-2000}"

command -v perf >/dev/null 2>&1 || { echo "bench/profile.sh: needs perf (apt-get install -y linux-perf)" >&2; exit 2; }
[[ -x "$binary" ]] || { echo "bench/profile.sh: no $binary; run bench/noop.sh first (it builds it)" >&2; exit 2; }
[[ -f "$dir/assetbuild.yaml" ]] || { echo "bench/profile.sh: no assetbuild.yaml in $dir" >&2; exit 2; }

data="$(mktemp --suffix=.perf.data)"
trap 'rm -f "$data"' EXIT
"$binary" "$cmd" -C "$dir" >/dev/null   # warm-up (and a check that it is a no-op build dir)
perf record -q -F "$freq" -g -o "$data" -- bash -c \
    "for i in \$(seq $runs); do '$binary' $cmd -C '$dir' >/dev/null; done" 2>/dev/null
echo "assetbuild $cmd in $dir, $runs run(s), perf at $freq Hz:"
perf script -i "$data" -F comm,ip,sym 2>/dev/null | awk '/^bash/{skip=1} /^[^ \t]/ && !/^bash/{skip=0} !skip' \
    | python3 "$here/phases.py" --freq "$freq" --runs "$runs"
