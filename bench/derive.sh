#!/usr/bin/env bash
# Derived-image benchmark (issue 10): the five channel variants of 100 2048x2048 JPEGs (the images
# of 100 draft targets) made by `assetbuild build`, by assetbuild's ImageDeriver (in process and in
# the assetbuild-vips worker), by the vips command lines and by ImageMagick, in one run; then the
# no-op of those derived targets beside the no-op of as many generated targets.
# See bench/README.md.
#
#   bench/derive.sh                     # 100 sources, 2 at a time
#   bench/derive.sh --count 10          # a quick run
#   bench/derive.sh --only build,vips  # some methods only: build, api, worker, vips, magick
#   bench/derive.sh --keep              # keep the generated directory
#   bench/derive.sh --sources photo     # photo-like sources from derive-bench (no assetbuild build row)
#
# Installs the peers it needs (libvips-tools, imagemagick) when missing, as root or through sudo,
# and builds the release assetbuild, assetbuild-vips and derive-bench. Exit status: 0 when the bar is met, 1 when it is missed,
# 2 on a missing dependency.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"

need=()
command -v vipsthumbnail >/dev/null 2>&1 || need+=(libvips-tools)
[[ -x /usr/bin/convert ]] || need+=(imagemagick)
if ((${#need[@]})); then
    sudo=""
    [[ "$(id -u)" = 0 ]] || sudo="sudo"
    echo "bench/derive.sh: installing ${need[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
if ! python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)'; then
    echo "bench/derive.sh: needs Python 3.9 or later" >&2
    exit 2
fi

binary="$repo/.build/release/derive-bench"
(cd "$repo" && swift build -c release --product derive-bench 2>&1 | tail -1) >&2
(cd "$repo" && swift build -c release --product assetbuild-vips 2>&1 | tail -1) >&2
(cd "$repo" && swift build -c release --product assetbuild 2>&1 | tail -1) >&2
[[ -x "$binary" ]] || { echo "bench/derive.sh: $binary was not built" >&2; exit 2; }
for product in assetbuild-vips assetbuild; do
    [[ -x "$repo/.build/release/$product" ]] || { echo "bench/derive.sh: $product was not built" >&2; exit 2; }
done

export VIPS_WARNING=0  # libvips' CLI warns "ignoring nclx profile" on every AVIF it reads
exec python3 "$here/derive.py" --bench-binary "$binary" "$@"
