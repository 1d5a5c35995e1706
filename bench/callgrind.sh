#!/usr/bin/env bash
# Instruction counts of the stream benchmark's client under callgrind: repeatable whatever else
# the machine runs, unlike wall or CPU time. See bench/README.md ("Stream: instruction counts").
#
#   bench/callgrind.sh OUT [ASSETBUILD] [IMAGES]
#     OUT         callgrind output file (read it with callgrind_annotate OUT)
#     ASSETBUILD  the client binary (default .build/release/assetbuild)
#     IMAGES      images to stream (default 50, groups of 10: about 3 minutes under callgrind)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
out="$(realpath -m "${1:?usage: bench/callgrind.sh OUT [ASSETBUILD] [IMAGES]}")"
binary="$(realpath "${2:-$repo/.build/release/assetbuild}")"
images="${3:-50}"
for tool in valgrind gcc objcopy callgrind_annotate; do
    command -v "$tool" >/dev/null || { echo "bench/callgrind.sh: missing $tool (apt-get install -y valgrind gcc binutils)" >&2; exit 2; }
done
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
gcc -O2 -shared -fPIC -o "$tmp/sigsuspend.so" "$here/valgrind-sigsuspend.c"
# valgrind 3.19 cannot read the Swift toolchain's DWARF ("Possibly corrupted debuginfo file"):
# profile a copy without it; the symbol table still names every function.
objcopy --strip-debug "$binary" "$tmp/assetbuild"
python3 "$here/stream.py" --images "$images" --assetbuild "$tmp/assetbuild" \
    --fake-ark "$(dirname "$binary")/fake-ark" \
    --wrap "env LD_PRELOAD=$tmp/sigsuspend.so valgrind --tool=callgrind --callgrind-out-file=$out"
callgrind_annotate "$out" 2>/dev/null | sed -n '/PROGRAM TOTALS/,+14p' | cut -c1-160
