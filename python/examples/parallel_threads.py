"""Several files in parallel with threads: cuframe releases the GIL while it decodes and
encodes, so a thread pool is all the parallelism one machine needs.

    python parallel_threads.py OUT_DIR IN1.mp4 IN2.mp4 ...
"""
import os
import sys
from concurrent.futures import ThreadPoolExecutor

import cuframe

out_dir, inputs = sys.argv[1], sys.argv[2:]
jobs = [(src, os.path.join(out_dir, f"small_{i}.mp4")) for i, src in enumerate(inputs)]


def job(pair):
    src, dst = pair
    return cuframe.transcode(src, dst, ops="resize=160x90")


with ThreadPoolExecutor(max_workers=2) as pool:
    for (src, dst), stats in zip(jobs, pool.map(job, jobs)):
        print(f"{os.path.basename(src)} -> {dst}: {stats.frames} frames in {stats.seconds:.2f} s ({stats.encoder})")
