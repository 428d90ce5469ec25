"""cuframe.VideoWriter: frames and arrays to finished files, complete or absent."""

from __future__ import annotations

import gc

import numpy as np
import pytest

import cuframe
from conftest import sample

CLIP = sample("bt601_limited_range.mp4")  # 320x240, 60 frames, 30 fps


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 99.0 if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


def test_gray_frames_read_back_with_the_source_count_and_size(tmp_path):
    clip = cuframe.load(CLIP, format="gray", device="cpu")
    out = tmp_path / "gray.mp4"
    with cuframe.VideoWriter(out, like=clip, device="cpu") as w:
        w.write(clip.frames)
    assert "libx264" in w.encoder["description"]
    info = cuframe.probe(out)
    assert info.video.frames == len(clip) == 60
    assert (info.video.width, info.video.height) == (320, 240)
    assert info.video.fps == clip.info.video.fps
    back = np.asarray(cuframe.load(out, format="gray", device="cpu").frames)
    assert psnr(back, np.asarray(clip.frames)) > 38


@pytest.mark.parametrize("fmt", ["rgb24", "bgr24"])
def test_numpy_frames_one_by_one_and_in_batches(tmp_path, fmt):
    src = np.asarray(cuframe.load(CLIP, format=fmt, device="cpu").frames)
    out = tmp_path / f"{fmt}.mp4"
    with cuframe.VideoWriter(out, width=320, height=240, fps=30, pixel_format=fmt, device="cpu") as w:
        w.write(np.ascontiguousarray(src[:10]))
        for f in src[10:]:
            w.write(f)  # (H, W, 3), a strided view is fine
    assert w.frames_written == 60
    back = np.asarray(cuframe.load(out, format=fmt, device="cpu").frames)
    assert back.shape == src.shape and psnr(back, src) > 30  # RGB -> 4:2:0 -> RGB


def test_dimension_and_setting_errors(tmp_path):
    with pytest.raises(ValueError, match="like="):
        cuframe.VideoWriter(tmp_path / "x.mp4", width=320, height=240)
    w = cuframe.VideoWriter(tmp_path / "x.mp4", width=320, height=240, fps=25)
    with pytest.raises(ValueError, match="expected"):
        w.write(np.zeros((2, 240, 320, 4), np.uint8))
    with pytest.raises(ValueError, match="4 channels"):
        w.write(np.zeros((240, 320, 4), np.uint8))  # RGBA is not a batch of 240 gray frames
    with pytest.raises(TypeError):
        w.write(np.zeros((240, 320, 3), np.float32))
    with pytest.raises(ValueError, match="unknown option"):
        cuframe.VideoWriter(tmp_path / "y.mp4", width=320, height=240, fps=25, sharpness=3)
    with pytest.raises(ValueError):
        cuframe.VideoWriter(tmp_path / "z.mp4", width=320, height=240, fps=25, codec="prores")


def test_complete_or_absent(tmp_path):
    frames = cuframe.load(CLIP, format="rgb24", device="cpu").frames
    out = tmp_path / "broken.mp4"
    with pytest.raises(RuntimeError):
        with cuframe.VideoWriter(out, like=CLIP, device="cpu") as w:
            w.write(frames[:5])
            raise RuntimeError("the caller fails half way")
    assert not out.exists()
    w = cuframe.VideoWriter(tmp_path / "dropped.mp4", like=cuframe.probe(CLIP), device="cpu")
    w.write(frames[:5])
    del w
    gc.collect()
    assert not (tmp_path / "dropped.mp4").exists()
    with cuframe.VideoWriter(tmp_path / "ok.mp4", like=CLIP, device="cpu") as w:
        w.write(frames)
    with pytest.raises(ValueError):
        w.write(frames)  # closed
    assert cuframe.probe(tmp_path / "ok.mp4").video.frames == 60
