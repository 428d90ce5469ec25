"""The whole video in memory as one array, turned gray, saved.

    python gray_in_memory.py IN.mp4 OUT.mp4
"""
import sys

import numpy as np

import cuframe

src, dst = sys.argv[1], sys.argv[2]
clip = cuframe.load(src, format="gray")        # every frame, decoded and converted chunk by chunk
frames = np.asarray(clip.frames)               # (N, H, W) uint8, no copy
print(f"{len(clip)} frames {frames.shape[2]}x{frames.shape[1]} with {clip.decoder}")
with cuframe.VideoWriter(dst, like=clip) as out:
    out.write(frames)
print(f"wrote {dst}: {cuframe.probe(dst).video.frames} frames")
