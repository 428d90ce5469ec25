"""A live stream from a pipe, frame by frame: here an MPEG-TS stream that ffmpeg sends
(a camera would be `ffmpeg -f v4l2 -i /dev/video0 -f mpegts -`).

    python live_stream.py IN.mp4
"""
import subprocess
import sys
import time

import numpy as np

import cuframe

feed = subprocess.Popen(["ffmpeg", "-v", "error", "-re", "-i", sys.argv[1], "-c", "copy", "-f", "mpegts", "-"],
                        stdout=subprocess.PIPE)
start, frames = time.perf_counter(), 0
with cuframe.VideoReader(feed.stdout, mode="live", format="rgb24") as reader:
    for batch in reader:                       # one frame per batch, as soon as it is decoded
        frame = np.asarray(batch.cpu())[0]
        frames += 1
        if frames % 30 == 0:
            print(f"frame {batch.indices[0]} at {time.perf_counter() - start:.2f} s, mean {frame.mean():.1f}")
feed.wait()
print(f"{frames} live frames")
