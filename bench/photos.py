"""Benchmark: proof photo ingest vs a plain full-size decode of the same 12-megapixel JPEG.

Run: .venv/bin/python bench/photos.py [--rounds N]

Generates a photo-like 4000x3000 JPEG with EXIF (orientation 6, capture time with offset, GPS), then times
in the same run, alternating:
- baseline: `Image.open(...).load()` (a plain full-size decode, nothing else);
- ingest: `verification.photos.process_photo()` (validation, EXIF, orientation, display copy, thumbnail,
  perceptual hashes).
Prints both medians, the ratio and the peak memory of one ingest (tracemalloc for Python allocations and
the process's peak RSS growth, which covers Pillow's C buffers). Goal: ratio <= 0.6 and peak < 150 MB.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eraha.settings")

import django  # noqa: E402

django.setup()

from PIL import Image  # noqa: E402

from verification.photos import process_photo  # noqa: E402
from verification.sample_photos import photo_like_image, with_exif  # noqa: E402

GOAL_RATIO = 0.6
GOAL_MEMORY_MB = 150


def make_jpeg() -> bytes:
    image = photo_like_image(4000, 3000, seed=7)
    return with_exif(
        image,
        fmt="JPEG",
        quality=92,
        orientation=6,
        taken="2026:06:01 12:30:00",
        offset="+03:00",
        gps=(61.1719, 28.7526),
    )


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    data = make_jpeg()
    print(f"input: 4000x3000 JPEG with EXIF, {len(data) / 1e6:.2f} MB")
    # Warm up both paths (imports, scipy's DCT plan, allocator) before measuring.
    Image.open(io.BytesIO(data)).load()
    process_photo(data, name="bench.jpg")

    # Peak memory of one ingest: the RSS high-water mark before and after (the process has already
    # decoded the photo at full size above, so this only grows if ingest needs more than that).
    rss_before = peak_rss_mb()
    tracemalloc.start()
    result = process_photo(data, name="bench.jpg")
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_growth = peak_rss_mb() - rss_before

    # Both wall time and this thread's CPU time are measured. The ratio uses CPU time: the work is all in
    # this thread (Pillow decodes in the calling thread), and on a shared machine wall time mostly measures
    # how long the process waited for a core.
    decode_wall, ingest_wall, decode_cpu, ingest_cpu = [], [], [], []
    for _ in range(args.rounds):
        wall, cpu = time.perf_counter(), time.thread_time()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
        decode_cpu.append(time.thread_time() - cpu)
        decode_wall.append(time.perf_counter() - wall)
        wall, cpu = time.perf_counter(), time.thread_time()
        process_photo(data, name="bench.jpg")
        ingest_cpu.append(time.thread_time() - cpu)
        ingest_wall.append(time.perf_counter() - wall)

    decode_ms = statistics.median(decode_cpu) * 1000
    ingest_ms = statistics.median(ingest_cpu) * 1000
    ratio = ingest_ms / decode_ms
    wall_ratio = statistics.median(ingest_wall) / statistics.median(decode_wall)
    # Peak for ingest alone: in a fresh process (after imports), so the baseline's full decode does not hide it.
    fresh_peak = measure_fresh_peak()
    print(f"display copy {result.display_size[0]}x{result.display_size[1]}, thumbnail {result.thumbnail_size}")
    print(f"baseline full decode median: {decode_ms:.1f} ms CPU ({statistics.median(decode_wall) * 1000:.1f} ms wall)")
    print(f"ingest median:               {ingest_ms:.1f} ms CPU ({statistics.median(ingest_wall) * 1000:.1f} ms wall)")
    print(f"ratio ingest/decode:         {ratio:.2f} CPU, {wall_ratio:.2f} wall (goal <= {GOAL_RATIO})")
    print(f"peak Python allocations during one ingest: {traced_peak / 1e6:.1f} MB")
    print(f"peak RSS growth during one ingest (warm process): {rss_growth:.1f} MB")
    print(f"peak RSS growth of a fresh process ingesting once (goal < {GOAL_MEMORY_MB} MB): {fresh_peak:.1f} MB")
    real_phone_photo(args.rounds)
    ok = ratio <= GOAL_RATIO and fresh_peak < GOAL_MEMORY_MB
    print(f"RESULT photos ingest_vs_decode={ratio:.2f} goal={GOAL_RATIO} ok={'yes' if ok else 'no'}")


def real_phone_photo(rounds: int) -> None:
    """Context only (not the RESULT): the same comparison on a real phone JPEG when the test photos exist."""
    path = Path(__file__).resolve().parent.parent.parent / "shared/testdata/photos/jpg/mobile/HMD_Nokia_8.3_5G.jpg"
    if not path.exists():
        print(f"(real phone photo not found at {path}; skipped)")
        return
    data = path.read_bytes()
    process_photo(data, name=path.name)
    decode_times, ingest_times = [], []
    for _ in range(rounds):
        started = time.thread_time()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
        decode_times.append(time.thread_time() - started)
        started = time.thread_time()
        process_photo(data, name=path.name)
        ingest_times.append(time.thread_time() - started)
    decode_ms = statistics.median(decode_times) * 1000
    ingest_ms = statistics.median(ingest_times) * 1000
    print(
        f"real phone JPEG {path.name} (4608x1976, {len(data) / 1e6:.1f} MB): decode {decode_ms:.1f} ms CPU, "
        f"ingest {ingest_ms:.1f} ms CPU, ratio {ingest_ms / decode_ms:.2f}"
    )


def measure_fresh_peak() -> float:
    import subprocess

    code = (
        "import os,sys,resource;sys.path.insert(0,sys.argv[1]);"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE','eraha.settings');import django;django.setup();"
        "from verification.photos import process_photo;import PIL.JpegImagePlugin,imagehash,scipy.fft;"
        "data=open(sys.argv[2],'rb').read();"
        # VmHWM (not ru_maxrss, which Linux carries over from the parent across fork and exec).
        "hwm=lambda:int([l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1])/1024;"
        "rss=lambda:int(open('/proc/self/statm').read().split()[1])*resource.getpagesize()/1048576;"
        "before=rss();high=hwm();"
        "process_photo(data,name='bench.jpg');"
        "print(before,high,hwm())"
    )
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".jpg") as handle:
        handle.write(make_jpeg())
        handle.flush()
        root = str(Path(__file__).resolve().parent.parent)
        output = subprocess.run(
            [sys.executable, "-c", code, root, handle.name], capture_output=True, text=True, check=True
        ).stdout
    rss_before, high_before, high_after = (float(x) for x in output.strip().splitlines()[-1].split())
    # The high-water mark can only have been raised by the ingest if it grew; otherwise the ingest stayed
    # below an earlier peak (imports) and its own peak is at most high_before - rss_before.
    return max(high_after, high_before) - rss_before


if __name__ == "__main__":
    main()
