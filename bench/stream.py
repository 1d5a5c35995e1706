#!/usr/bin/env python3
"""Issue 4's measurement: a build of 500 streamed 2K images (groups of 10) against the fake Ark
server with no latency, through the real Ark client (libcurl, SSE, base64 decoding, durable
writes). Prints wall time, the client's overhead per image, and the build's peak RSS.

    bench/stream.py [--images 500] [--group 10] [--size 2048x2048]
    bench/stream.py --assetbuild OTHER/.build/release/assetbuild     # another build of the client
    bench/stream.py --images 50 --wrap "valgrind --tool=callgrind --callgrind-out-file=cg.out"

Uses the release binaries (.build/release/assetbuild and fake-ark; built if missing). `--wrap`
runs the client under a tool (callgrind counts instructions, whatever the machine's load)."""
import argparse, os, resource, shutil, socket, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def release_binaries():
    bins = [os.path.join(ROOT, ".build/release", b) for b in ("assetbuild", "fake-ark")]
    if not all(os.path.exists(b) for b in bins) or os.environ.get("REBUILD"):
        subprocess.run(["swift", "build", "-c", "release", "--product", "assetbuild"], cwd=ROOT, check=True)
        subprocess.run(["swift", "build", "-c", "release", "--product", "fake-ark"], cwd=ROOT, check=True)
    return bins


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=500)
    ap.add_argument("--group", type=int, default=10)
    ap.add_argument("--size", default="2048x2048")
    ap.add_argument("--response-format", default="b64_json", choices=["b64_json", "url"])
    ap.add_argument("--small-images", action="store_true", help="the fake's smooth 80 KB JPEGs instead of photo-sized ones")
    ap.add_argument("--assetbuild", help="the client binary (default: this checkout's release build)")
    ap.add_argument("--fake-ark", help="the server binary (default: this checkout's release build)")
    ap.add_argument("--wrap", default="", help="a command prefix for the client, e.g. valgrind --tool=callgrind")
    args = ap.parse_args()
    assetbuild, fake = release_binaries() if not (args.assetbuild and args.fake_ark) else (None, None)
    assetbuild, fake = os.path.abspath(args.assetbuild or assetbuild), os.path.abspath(args.fake_ark or fake)
    work = tempfile.mkdtemp(prefix="assetbuild-stream-")
    groups = args.images // args.group
    with open(os.path.join(work, "assetbuild.yaml"), "w") as f:
        f.write("version: 1\nprovider: {name: ark, concurrency: 16}\n")
        f.write("defaults: {model: doubao-seedream-4-0-250828, size: %s, watermark: false, stream: true, response_format: %s}\n"
                % (args.size, args.response_format))
        f.write("targets:\n")
        for g in range(groups):
            f.write("  set-%03d:\n    prompt: \"A set of %d images, variation %d of a teal robot\"\n    images: %d\n"
                    % (g, args.group, g, args.group))
    port = free_port()
    server = subprocess.Popen([fake, "--port", str(port), "--latency-ms", "0", "--key", "bench-key"] + ([] if args.small_images else ["--noisy"]),
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        server.stdout.readline()  # the base URL: the server is listening
        env = dict(os.environ, ARK_API_KEY="bench-key", ARK_BASE_URL="http://127.0.0.1:%d/api/v3" % port, CI="1")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        run = subprocess.run(args.wrap.split() + [assetbuild, "build", "--json"], cwd=work, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if run.returncode != 0:
            print(run.stdout[-2000:], run.stderr[-2000:], file=sys.stderr)
            sys.exit("build failed")
        images = sum(1 for line in run.stdout.splitlines() if '"event":"image_received"' in line)
        size_mb = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(os.path.join(work, "build")) for f in fs) / 1e6
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        print("stream benchmark: %d groups x %d images at %s (%s), fake Ark with no latency" % (groups, args.group, args.size, args.response_format))
        print("  images received      %d (%.0f MB of JPEG)" % (images, size_mb))
        print("  wall time            %.2f s" % wall)
        print("  client CPU per image %.2f ms (user+sys of assetbuild / images)" % (cpu / max(1, images) * 1000))
        print("  wall per image       %.2f ms" % (wall / max(1, images) * 1000))
        print("  peak RSS             %.1f MB (bar: <= 150 MB)  %s" % (after.ru_maxrss / 1024, "PASS" if after.ru_maxrss / 1024 <= 150 else "FAIL"))
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
