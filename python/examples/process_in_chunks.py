"""A long video in chunks with bounded memory: the mean brightness of every frame, a batch
of 32 frames at a time (the memory of one batch, whatever the length of the video).

    python process_in_chunks.py IN.mp4
"""
import sys

import numpy as np

import cuframe

with cuframe.VideoReader(sys.argv[1], batch=32, format="gray") as reader:
    print(f"{len(reader)} frames, decoded by {reader.decoder}")
    means = []
    for batch in reader:
        frames = np.asarray(batch.cpu())       # (n, H, W); .cpu() is a no-op for host frames
        means.extend(frames.mean(axis=(1, 2)).tolist())
print(f"{len(means)} frames, mean brightness {np.mean(means):.1f}, darkest frame {int(np.argmin(means))}")
