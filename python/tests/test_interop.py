"""Living beside other libraries: OpenCV's own FFmpeg in the same process, torch through
DLPack (when installed)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import cuframe
from conftest import sample

CLIP = sample("bt601_limited_range.mp4")


def test_cv2_imported_first_in_one_process():
    pytest.importorskip("cv2", reason="opencv-python-headless is not installed")
    code = textwrap.dedent(f"""
        import cv2
        import numpy as np
        import cuframe
        cap = cv2.VideoCapture({CLIP!r})
        n = 0
        while cap.read()[0]:
            n += 1
        clip = cuframe.load({CLIP!r}, format="bgr24", device="cpu")
        frames = np.asarray(clip.frames)
        gray = np.asarray(cuframe.load({CLIP!r}, format="gray", device="cpu").frames)
        print(n, len(clip), frames.shape[1], frames.shape[2], int(cv2.cvtColor(frames[0], cv2.COLOR_BGR2GRAY).mean() > 0),
              gray.shape[0])
    """)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env).stdout
    assert out.split() == ["60", "60", "240", "320", "1", "60"]


def test_torch_through_dlpack():
    torch = pytest.importorskip("torch", reason="torch is not installed in this environment")
    frames = cuframe.load(CLIP, format="rgbpf32", device="cpu").frames
    t = torch.from_dlpack(frames)
    assert tuple(t.shape) == (60, 3, 240, 320) and t.dtype == torch.float32
    assert np.shares_memory(t.numpy(), np.asarray(frames))
    with cuframe.VideoWriter("/dev/null", like=CLIP, device="cpu", container="mp4") as w:
        w.write(torch.from_dlpack(cuframe.load(CLIP, format="rgb24", device="cpu").frames).contiguous())
