#!/usr/bin/env python3
"""Derived-image benchmark (issue 10): the five channel variants of COUNT 2048x2048 JPEGs, made
five ways in one run from the same files, with wall time and peak RSS of each, then the no-op of
those derived targets beside the no-op of as many generated targets.

Called by bench/derive.sh, which installs the peers and builds the release binaries. Python 3
standard library only. In a temporary directory it writes:

  project/           an assetbuild project of COUNT draft image targets (SIZExSIZE, distinct
                     prompts), built once untimed: its build/tNNN.jpeg are the sources
  src/tNNN.jpeg      copies of them, the sources of every other row (--sources photo: instead
                     COUNT photo-like JPEGs from `derive-bench generate`, and no assetbuild row)
  logo.png           a 400x400 RGBA logo (a ring on transparency)

and derives from each source:

  ig.webp     1080x1080 cover, attention crop, WebP Q80
  story.jpeg  1080x1920 contain on #0FB5AE, JPEG Q85
  og.jpeg     1200x630 cover (attention), logo 160 wide south-east margin 32, headline in
              DejaVu Sans Bold 64 white north-west margin 48 wrapped at 900, JPEG Q85
  thumb.png   320 wide, PNG
  full.avif   2048x2048 cover (attention), AVIF Q50 (AV1, effort 3)

Methods, each with WORKERS jobs at a time (default 2, the machine's cores):
  assetbuild build  the real CLI: the project's targets get the four variants and COUNT derived
                  targets (the cards), and `assetbuild build` derives the 5 x COUNT files through
                  its assetbuild-vips worker (0 requests; checked); peak RSS is assetbuild's plus
                  the worker's (bench/derive_engine.py: TreeRSS)
  assetbuild API  `derive-bench derive`: ImageDeriver in one process, WORKERS tasks
  assetbuild-vips `derive-bench derive --worker`: the same jobs through VipsWorkerClient to the
                  `assetbuild-vips` worker process, WORKERS at a time; its peak RSS is the
                  client's plus the worker's (both were resident at once)
  vips CLI        `vipsthumbnail` / `vips` command lines, one shell pipeline per output
  ImageMagick     `/usr/bin/convert`, one process per output

Wall time is taken around the whole method; for the command-line methods peak RSS is the largest
ru_maxrss of any process the method ran (os.wait4 on each child; a pipeline's figure is its
largest command), and WORKERS processes run at once, so the machine held up to WORKERS times that.
"""

import argparse
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import derive_engine  # bench/derive_engine.py: the assetbuild build row and the no-op comparison

CONVERT = "/usr/bin/convert"  # /usr/local/bin/convert on these machines is a stand-in
FONT = "DejaVu Sans Bold"
FONT_FILE = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
TEAL = "#0FB5AE"
# Expected (width, height) of each variant, read back from the files after each method.
VARIANTS = {"ig.webp": (1080, 1080), "story.jpeg": (1080, 1920), "og.jpeg": (1200, 630),
            "thumb.png": (320, 320), "full.avif": (2048, 2048)}
# The bar from issue 10.
BAR_VS_IMAGEMAGICK = 2.0
BAR_RSS_MB = 300.0


def headline(stem):
    return f"A headline for {stem} on the card"


def logo_png(size=400):
    """An RGBA PNG: an orange disc in a white ring, transparent outside."""
    rows = bytearray()
    c, outer, inner = size / 2, size * 0.475, size * 0.375
    for y in range(size):
        rows.append(0)
        for x in range(size):
            d2 = (x - c) ** 2 + (y - c) ** 2
            if d2 > outer ** 2:
                rows += b"\x00\x00\x00\x00"
            elif d2 > inner ** 2:
                rows += b"\xff\xff\xff\xff"
            else:
                rows += b"\xf0\x50\x28\xff"

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(bytes(rows), 9)) + chunk(b"IEND", b"")


def run(argv, shell=False, output=None):
    """Runs one child; returns (seconds, peak RSS KiB). Raises on a non-zero exit. With
    `output` (a list), the child's stdout lines are appended to it."""
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, shell=shell, stdout=subprocess.DEVNULL if output is None else subprocess.PIPE,
                         stderr=subprocess.PIPE)
    if output is not None:
        output.extend(p.stdout.read().decode(errors="replace").splitlines())
        p.stdout.close()
    err = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    p.stderr.close()
    if p.returncode != 0:
        raise RuntimeError(f"{argv if not shell else argv[:200]} exited {p.returncode}: {err.decode(errors='replace')[-500:]}")
    return time.perf_counter() - t0, usage.ru_maxrss


def run_many(commands, workers):
    """Runs shell commands `workers` at a time; returns (wall seconds, peak RSS KiB of any)."""
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(lambda c: run(c, shell=True), commands))
    return time.perf_counter() - t0, max(r[1] for r in results)


def q(path):
    return "'" + str(path).replace("'", "'\\''") + "'"


# --- the three ways ---------------------------------------------------------------------

def swift_api(ctx, out):
    seconds, rss = run([ctx.bench_binary, "derive", "--workers", str(ctx.workers), "--out", out,
                        "--logo", ctx.logo, *ctx.sources])
    return seconds, rss


def worker_api(ctx, out):
    """derive-bench through the worker; peak RSS = client + worker (their peaks, summed)."""
    lines = []
    seconds, _ = run([ctx.bench_binary, "derive", "--workers", str(ctx.workers), "--out", out, "--logo", ctx.logo,
                      "--worker", ctx.worker_binary, *ctx.sources], output=lines)
    rss = [line for line in lines if line.startswith("rss ")]
    if not rss:
        raise RuntimeError(f"derive-bench printed no rss line: {lines}")
    fields = dict(f.split("=") for f in rss[0].split()[1:])
    return seconds, int(fields["client_kb"]) + int(fields["worker_kb"])


def vips_commands(ctx, out):
    """One shell pipeline per output; temporaries in libvips' own .v format."""
    cmds = []
    logo_x, logo_y = 1200 - 160 - 32, 630 - 160 - 32  # the logo is square: 160x160
    for src in ctx.sources:
        stem = os.path.splitext(os.path.basename(src))[0]
        o = os.path.join(out, stem)
        t = os.path.join(ctx.scratch, f"vips-{stem}")
        cmds.append(f"vipsthumbnail {q(src)} --size 1080x1080 --smartcrop attention -o {q(o + '.ig.webp')}'[Q=80,strip]'")
        cmds.append(f"vipsthumbnail {q(src)} --size 1080x1920 -o {q(t + '-s.v')} && "
                    f"vips gravity {q(t + '-s.v')} {q(o + '.story.jpeg')}'[Q=85,strip]' centre 1080 1920 "
                    f"--extend background --background '15 181 174' && rm -f {q(t + '-s.v')}")
        cmds.append(f"vipsthumbnail {q(src)} --size 1200x630 --smartcrop attention -o {q(t + '-b.v')} && "
                    f"vipsthumbnail {q(ctx.logo)} --size 160x -o {q(t + '-l.v')} && "
                    f"vips text {q(t + '-m.v')} {q(headline(stem))} --font '{FONT} 64' --width 900 --dpi 72 && "
                    f"vips linear {q(t + '-m.v')} {q(t + '-w.v')} 0 255 --uchar && "
                    f"vips bandjoin \"{t}-w.v {t}-w.v {t}-w.v {t}-m.v\" {q(t + '-t.v')} && "
                    f"vips copy {q(t + '-t.v')} {q(t + '-u.v')} --interpretation srgb && "
                    f"vips composite \"{t}-b.v {t}-l.v {t}-u.v\" {q(o + '.og.jpeg')}'[Q=85,strip]' '2 2' "
                    f"--x '{logo_x} 48' --y '{logo_y} 48' && rm -f {q(t)}-?.v")
        cmds.append(f"vipsthumbnail {q(src)} --size 320x -o {q(o + '.thumb.png')}'[strip]'")
        cmds.append(f"vipsthumbnail {q(src)} --size 2048x2048 --smartcrop attention "
                    f"-o {q(o + '.full.avif')}'[Q=50,compression=av1,effort=3,strip]'")
    return cmds


def vips_cli(ctx, out):
    return run_many(vips_commands(ctx, out), ctx.workers)


def imagemagick_commands(ctx, out):
    """The same operations in ImageMagick 6 (no attention crop there: centre)."""
    cmds = []
    for src in ctx.sources:
        stem = os.path.splitext(os.path.basename(src))[0]
        o = os.path.join(out, stem)
        cmds.append(f"{CONVERT} {q(src)} -resize '1080x1080^' -gravity center -extent 1080x1080 -strip -quality 80 "
                    f"{q(o + '.ig.webp')}")
        cmds.append(f"{CONVERT} {q(src)} -resize 1080x1920 -background '{TEAL}' -gravity center -extent 1080x1920 "
                    f"-strip -quality 85 {q(o + '.story.jpeg')}")
        cmds.append(f"{CONVERT} {q(src)} -resize '1200x630^' -gravity center -extent 1200x630 "
                    f"\\( {q(ctx.logo)} -resize 160x \\) -gravity southeast -geometry +32+32 -composite "
                    f"\\( -background none -fill white -font {FONT_FILE} -pointsize 64 -size 900x "
                    f"caption:{q(headline(stem))} \\) -gravity northwest -geometry +48+48 -composite "
                    f"-strip -quality 85 {q(o + '.og.jpeg')}")
        cmds.append(f"{CONVERT} -define jpeg:size=640x640 {q(src)} -resize 320x -strip {q(o + '.thumb.png')}")
        cmds.append(f"{CONVERT} {q(src)} -strip -quality 50 {q(o + '.full.avif')}")
    return cmds


def imagemagick(ctx, out):
    return run_many(imagemagick_commands(ctx, out), ctx.workers)


METHODS = [  # (key for --only, name in the table, runner)
    ("build", "assetbuild build (CLI + worker)", derive_engine.engine),
    ("api", "assetbuild API (ImageDeriver)", swift_api),
    ("worker", "assetbuild-vips worker", worker_api),
    ("vips", "vips CLI (vipsthumbnail/vips)", vips_cli),
    ("magick", "ImageMagick 6 (convert)", imagemagick),
]


def verify(ctx, out):
    """Every output exists; the first source's five have their sizes (read by vipsheader)."""
    stems = [os.path.splitext(os.path.basename(s))[0] for s in ctx.sources]
    missing = [f"{s}.{v}" for s in stems for v in VARIANTS if not os.path.isfile(os.path.join(out, f"{s}.{v}"))]
    if missing:
        return f"{len(missing)} outputs missing (e.g. {missing[0]})"
    files = [os.path.join(out, f"{stems[0]}.{v}") for v in VARIANTS]
    p = subprocess.run(["vipsheader", *files], capture_output=True, text=True, env={**os.environ, "VIPS_WARNING": "0"})
    for line, (v, (w, h)) in zip(p.stdout.splitlines(), VARIANTS.items()):
        if f": {w}x{h} " not in line:
            return f"{v}: expected {w}x{h}, got {line}"
    return None


class Context:
    pass


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=100)
    ap.add_argument("--size", type=int, default=2048)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--bench-binary", required=True)
    ap.add_argument("--worker-binary", help="assetbuild-vips (default: beside the bench binary)")
    ap.add_argument("--assetbuild", help="the assetbuild binary (default: beside the bench binary)")
    ap.add_argument("--sources", choices=["draft", "photo"], default="draft",
                    help="draft (default): the images of a project of draft targets, for every row; "
                         "photo: photo-like JPEGs from derive-bench, without the assetbuild build row")
    ap.add_argument("--noop-runs", type=int, default=20, help="timed no-op runs (default 20)")
    ap.add_argument("--noop-warmup", type=int, default=2, help="untimed no-op warm-ups (default 2)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    ap.add_argument("--only", help="comma-separated methods to run: build, api, worker, vips, magick")
    args = ap.parse_args()
    only = {o.strip().lower() for o in args.only.split(",")} if args.only else None
    if only and only - {m[0] for m in METHODS}:
        ap.error(f"--only: unknown method {', '.join(sorted(only - {m[0] for m in METHODS}))} "
                 f"(the methods are {', '.join(m[0] for m in METHODS)})")

    root = tempfile.mkdtemp(prefix="assetbuild-derive-")
    ctx = Context()
    ctx.root, ctx.size, ctx.project = root, args.size, None
    ctx.workers = args.workers
    ctx.variant_files = list(VARIANTS)
    ctx.bench_binary = args.bench_binary
    here = os.path.dirname(args.bench_binary)
    ctx.worker_binary = os.path.abspath(args.worker_binary or os.path.join(here, "assetbuild-vips"))
    ctx.assetbuild = os.path.abspath(args.assetbuild or os.path.join(here, "assetbuild"))
    ctx.scratch = os.path.join(root, "scratch")
    os.makedirs(ctx.scratch)
    ctx.logo = os.path.join(root, "logo.png")
    with open(ctx.logo, "wb") as f:
        f.write(logo_png())
    t0 = time.perf_counter()
    if args.sources == "draft":
        ctx.sources = derive_engine.draft_sources(ctx, root, args.count, args.size)
        seconds, images, requests = ctx.source_build
        print(f"built {images} draft {args.size}x{args.size} images with assetbuild in {seconds:.1f} s "
              f"({requests} requests to the draft provider), untimed; copied to src/ as the sources of every row")
    else:
        run([ctx.bench_binary, "generate", "--out", os.path.join(root, "src"), "--count", str(args.count),
             "--size", str(args.size)])
        ctx.sources = sorted(os.path.join(root, "src", n) for n in os.listdir(os.path.join(root, "src")))
        print(f"generated {len(ctx.sources)} photo-like {args.size}x{args.size} JPEGs in {time.perf_counter() - t0:.1f} s")
    total_bytes = sum(os.path.getsize(s) for s in ctx.sources)
    print(f"{len(ctx.sources)} sources, {total_bytes / len(ctx.sources) / 1024:.0f} KB each on average; "
          f"{len(ctx.sources) * len(VARIANTS)} outputs per method, {ctx.workers} at a time")
    vips_version = subprocess.run(["vips", "--version"], capture_output=True, text=True).stdout.strip()
    im_version = subprocess.run([CONVERT, "-version"], capture_output=True, text=True).stdout.splitlines()[0]
    print(f"{vips_version}; {im_version}; {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}; "
          f"{datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}")

    rows = {}
    failed = False
    for index, (key, name, method) in enumerate(METHODS):
        if only and key not in only:
            continue
        out = os.path.join(root, f"out{index}")
        os.makedirs(out)
        try:
            result = method(ctx, out)
        except RuntimeError as e:
            print(f"{name}: FAILED: {e}", file=sys.stderr)
            failed = True
            continue
        if result is None:
            print(f"{name}: not measured (assetbuild derives only from targets: use --sources draft)")
            continue
        if len(result) == 3:  # the method wrote its files elsewhere (assetbuild: build/)
            out, result = result[2], result[:2]
        problem = verify(ctx, out)
        if problem:
            print(f"{name}: wrong output: {problem}", file=sys.stderr)
            failed = True
        rows[name] = result
        print(f"{name}: {result[0]:.1f} s, peak RSS {result[1] / 1024:.0f} MB (load average {os.getloadavg()[0]:.1f})",
              flush=True)

    engine_name = METHODS[0][1]
    noop_rows = None
    if engine_name in rows:
        print(getattr(ctx, "engine_detail", ""))
        print(f"timing no-ops ({args.noop_warmup} warm-up + {args.noop_runs} runs each)", flush=True)
        noop_rows, notes, noop_verdict, noop_ok = derive_engine.noop_comparison(ctx, args.noop_runs, args.noop_warmup)

    n = len(ctx.sources) * len(VARIANTS)
    print()
    print(f"{'method':34} {'wall s':>8} {'ms/output':>10} {'peak RSS MB':>12}")
    for name, (seconds, rss) in rows.items():
        print(f"{name:34} {seconds:8.1f} {1000 * seconds / n:10.0f} {rss / 1024:12.0f}")
    if noop_rows:
        derive_engine.print_noop(noop_rows, notes, args.noop_runs, args.noop_warmup)

    # The bar is judged on what `assetbuild build` does; without that row, on the worker it uses.
    judged = next((m for m in (engine_name, "assetbuild-vips worker", "assetbuild API (ImageDeriver)") if m in rows), None)
    api = rows.get(judged)
    im = rows.get("ImageMagick 6 (convert)")
    cli = rows.get("vips CLI (vipsthumbnail/vips)")
    verdicts = []
    if api and im:
        ratio = im[0] / api[0]
        verdicts.append(f"{ratio:.2f}x faster than ImageMagick (bar >= {BAR_VS_IMAGEMAGICK}x) "
                        + ("PASS" if ratio >= BAR_VS_IMAGEMAGICK else "FAIL"))
        failed |= ratio < BAR_VS_IMAGEMAGICK
    if api and cli:
        verdicts.append(f"{cli[0] / api[0]:.2f}x the speed of the vips command lines (bar: no slower) "
                        + ("PASS" if api[0] <= cli[0] else "FAIL"))
        failed |= api[0] > cli[0]
    if api:
        verdicts.append(f"peak RSS {api[1] / 1024:.0f} MB (bar < {BAR_RSS_MB:.0f} MB) "
                        + ("PASS" if api[1] / 1024 < BAR_RSS_MB else "FAIL"))
        failed |= api[1] / 1024 >= BAR_RSS_MB
    if noop_rows:
        verdicts.append(noop_verdict)
        failed |= not noop_ok
    if verdicts:
        print(f"\nbar (issue 10), judged on {judged}" + ("" if judged == engine_name else " (no assetbuild build row)") + ":")
        for v in verdicts:
            print(f"  {v}")

    if args.keep:
        print(f"kept {root}")
    else:
        shutil.rmtree(root, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
