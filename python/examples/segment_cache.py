"""A cache of decoded segments for repeated access (a training loop that revisits clips):
the second pass over the same segments decodes nothing.

    python segment_cache.py IN.mp4
"""
import sys

import numpy as np

import cuframe

cache = cuframe.ChunkCache(256 << 20)          # at most 256 MiB of decoded frames
n = len(cuframe.VideoReader(sys.argv[1]))
segments = [(first, 16) for first in range(0, n, 16)]
for epoch in range(2):
    total = 0
    for first, count in segments:
        batch = cache.get(sys.argv[1], first, count)
        total += int(np.asarray(batch.cpu().planes[0]).sum() % 1000)
    s = cache.stats()
    print(f"epoch {epoch}: {len(segments)} segments, checksum {total}, hits {s['hits']}, misses {s['misses']}")
