#!/usr/bin/env bash
# No-op build benchmark (issue 3): assetbuild `build` and `status` beside ninja and `make -r`
# on an equal graph, in one run. See bench/README.md.
#
#   bench/noop.sh                    # N = 1000 and 10000
#   bench/noop.sh 1000 10000 50000   # any list of N
#   RUNS=20 WARMUP=3 bench/noop.sh   # more timed runs (default 10) / warm-ups (default 2)
#   KEEP=1 bench/noop.sh 1000        # keep the generated directories (for profiling)
#   ASSETBUILD=/path/to/assetbuild bench/noop.sh   # another binary (default .build/release/assetbuild)
#
# Exit status: 0 when assetbuild meets the bar at every N that has one, 1 when it misses, 2 on a
# missing dependency.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"

missing=()
for tool in python3 ninja make; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if ((${#missing[@]})); then
    echo "bench/noop.sh: missing: ${missing[*]}" >&2
    echo "  install them, e.g.: apt-get install -y python3 ninja-build make" >&2
    exit 2
fi
if ! python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)'; then
    echo "bench/noop.sh: needs Python 3.9 or later (for os.waitstatus_to_exitcode)" >&2
    exit 2
fi

if [[ ! -x /usr/bin/time ]]; then
    echo "bench/noop.sh: note: no /usr/bin/time (GNU time); peak RSS falls back to ru_maxrss, which" >&2
    echo "  overstates small tools by the forking Python's pages. For exact figures: apt-get install -y time" >&2
fi

binary="${ASSETBUILD:-$repo/.build/release/assetbuild}"
if [[ ! -x "$binary" ]]; then
    if [[ -n "${ASSETBUILD:-}" ]]; then
        echo "bench/noop.sh: ASSETBUILD=$binary is not an executable" >&2
        exit 2
    fi
    command -v swift >/dev/null 2>&1 || { echo "bench/noop.sh: no $binary and no swift to build it (see README: scripts/install-deps)" >&2; exit 2; }
    echo "bench/noop.sh: building the release binary (swift build -c release --product assetbuild)" >&2
    (cd "$repo" && swift build -c release --product assetbuild) >&2
fi

args=(--binary "$binary" --runs "${RUNS:-10}" --warmup "${WARMUP:-2}")
[[ -n "${KEEP:-}" ]] && args+=(--keep)
[[ -n "${WORKDIR:-}" ]] && args+=(--workdir "$WORKDIR")
exec python3 "$here/noop.py" "${args[@]}" "$@"
