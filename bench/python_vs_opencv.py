#!/usr/bin/env python3
"""The seed's recipes from Python: cuframe against OpenCV, each side in its own process.

(a) read: the cv2.VideoCapture loop + np.array(frames) against
    np.asarray(cuframe.load(p, format="bgr24", device="cpu").frames);
(b) gray: the same read, then cv2.cvtColor(f, COLOR_BGR2GRAY) per frame into one array,
    against np.asarray(cuframe.load(p, format="gray", device="cpu").frames).

Each side runs `--repeat` times in a fresh process (the first run is a warm-up of the page
cache and is not counted); the median wall time and the peak resident memory (ru_maxrss
of the child) are reported, with the ratios against OpenCV. Targets (issue 20): at least
1.25x faster and at most 0.6x the peak memory.

    bench/python_vs_opencv.py VIDEO [--repeat 5] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import textwrap

# The seed's read loop, shared by both OpenCV recipes.
OPENCV_READ = """
        import cv2, numpy as np
        cap = cv2.VideoCapture(PATH)
        frames = []
        while True:
            ok, f = cap.read()
            if not ok:
                break
            frames.append(f)
"""

SIDES = {
    "opencv-read": OPENCV_READ + """
        arr = np.array(frames)
    """,
    "cuframe-read": """
        import cuframe, numpy as np
        arr = np.asarray(cuframe.load(PATH, format="bgr24", device="cpu").frames)
    """,
    "opencv-gray": OPENCV_READ + """
        frames = np.array(frames)
        arr = np.empty(frames.shape[:3], np.uint8)
        for i, f in enumerate(frames):
            arr[i] = cv2.cvtColor(f, cv2.COLOR_BGR2GRAY)
    """,
    "cuframe-gray": """
        import cuframe, numpy as np
        arr = np.asarray(cuframe.load(PATH, format="gray", device="cpu").frames)
    """,
}

RUNNER = """
import resource, sys, time
PATH = sys.argv[1]
t0 = time.perf_counter()
{body}
seconds = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(seconds, peak, arr.shape[0], int(arr[arr.shape[0] // 2].sum()) if arr.shape[0] else 0)
"""


def run_side(name: str, path: str) -> tuple[float, int, int]:
    code = RUNNER.format(body=textwrap.indent(textwrap.dedent(SIDES[name]), ""))
    out = subprocess.run([sys.executable, "-c", code, path], check=True, capture_output=True, text=True).stdout
    seconds, peak, frames, _ = out.split()
    return float(seconds), int(peak), int(frames)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("video")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json")
    args = ap.parse_args()
    results = {}
    for name in SIDES:
        run_side(name, args.video)  # warm-up
        runs = [run_side(name, args.video) for _ in range(args.repeat)]
        results[name] = {"seconds": statistics.median(r[0] for r in runs),
                         "peak_bytes": statistics.median(r[1] for r in runs), "frames": runs[0][2],
                         "runs": [r[0] for r in runs]}
    ok = True
    print(f"{'side':14} {'frames':>6} {'median s':>9} {'peak MiB':>9}")
    for name, r in results.items():
        print(f"{name:14} {r['frames']:6d} {r['seconds']:9.3f} {r['peak_bytes'] / 2**20:9.1f}")
    for recipe in ("read", "gray"):
        cv, cf = results[f"opencv-{recipe}"], results[f"cuframe-{recipe}"]
        speed = cv["seconds"] / cf["seconds"]
        memory = cf["peak_bytes"] / cv["peak_bytes"]
        met = speed >= 1.25 and memory <= 0.6 and cv["frames"] == cf["frames"]
        ok &= met
        results[f"{recipe}_ratio"] = {"speedup": speed, "memory": memory, "target_met": met}
        print(f"{recipe}: cuframe {speed:.2f}x faster, {memory:.2f}x the peak memory "
              f"(targets >= 1.25x, <= 0.6x: {'met' if met else 'NOT met'})")
    results["machine"] = {"cpus": os.cpu_count(), "python": sys.version.split()[0]}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
