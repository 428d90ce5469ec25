"""cuframe.load and probe: bytes against the C++ API (the CLI) and the ffmpeg program,
ranges and timestamps against ffprobe, sources, errors."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest

import cuframe
from conftest import DATA, ffmpeg_raw, ffprobe_pts, packed, run, sample

CLIP = sample("bt601_limited_range.mp4")  # 320x240, 60 frames, limited range


@pytest.mark.parametrize("fmt", ["rgb24", "bgr24", "rgba", "gray", "rgbp"])
def test_rgb_formats_equal_the_cli(cli, fmt):
    frames = cuframe.load(CLIP, format=fmt, device="cpu").frames
    arr = np.asarray(frames)
    h, w = 240, 320
    shape = {"rgb24": (60, h, w, 3), "bgr24": (60, h, w, 3), "rgba": (60, h, w, 4), "gray": (60, h, w),
             "rgbp": (60, 3, h, w)}[fmt]
    assert arr.shape == shape and arr.dtype == np.uint8
    assert packed(arr) == run(cli, "decode", CLIP, "--device", "cpu", "--pix-fmt", fmt, "-o", "-")


def test_nv12_planes_equal_ffmpeg():
    clip = cuframe.load(CLIP, device="cpu")
    assert clip.frames.format == "nv12" and len(clip) == 60
    y, uv = (np.asarray(p) for p in clip.frames.planes)
    assert y.shape == (60, 240, 320) and uv.shape == (60, 120, 160, 2)
    ref = np.frombuffer(ffmpeg_raw(CLIP, "nv12"), np.uint8).reshape(60, 240 * 3 // 2, 320)
    assert np.array_equal(y, ref[:, :240]) and np.array_equal(uv.reshape(60, 120, 320), ref[:, 240:])


@pytest.mark.parametrize("name,fmt,dtype", [("h265_10bits.mp4", "p016", np.uint16),
                                             ("testsrc2_444_8bit_hevc.mp4", "yuv444p", np.uint8)])
def test_native_planes_of_other_formats_equal_the_cli(cli, name, fmt, dtype):
    p = sample(name)
    frames = cuframe.load(p, device="cpu").frames
    assert frames.format == fmt
    planes = [np.asarray(x) for x in frames.planes]
    assert all(x.dtype == dtype for x in planes)
    raw = run(cli, "decode", p, "--device", "cpu", "-o", "-")
    per_frame = [packed(x[i]) for i in range(len(frames)) for x in planes]
    assert b"".join(per_frame) == raw


def test_start_and_count_against_ffprobe(cli):
    p = sample("nasa_13013.mp4")  # B-frames, several keyframes
    pts = ffprobe_pts(p)
    part = cuframe.load(p, format="rgb24", device="cpu", start=100, count=37)
    assert len(part) == 37
    assert part.frames.pts.tolist() == sorted(pts)[100:137]
    assert part.frames.indices.tolist() == list(range(100, 137))
    assert packed(np.asarray(part.frames)) == run(cli, "decode", p, "--device", "cpu", "--pix-fmt", "rgb24",
                                                  "--start", "100", "--count", "37", "-o", "-")
    whole = cuframe.load(p, device="cpu")
    assert whole.frames.pts.tolist() == sorted(pts)
    assert isinstance(whole.frames.time_base, Fraction)
    assert whole.frames.time_base == whole.info.video.time_base
    assert len(cuframe.load(p, device="cpu", start=320, count=100)) == 5


@pytest.mark.parametrize("name", ["nasa_13013.mp4", "nasa_13013_rotated.mp4", "bt2020_10bit.mp4"])
def test_probe_is_the_cli_json(cli, name):
    info = cuframe.probe(sample(name))
    want = json.loads(run(cli, "probe", "--json", sample(name)))
    got = info.to_dict()
    for key in ("fps", "sar", "time_base"):
        got["video"][key] = want["video"][key] if Fraction(want["video"][key].replace(":", "/")) == got["video"][key] \
            else got["video"][key]
    assert got == want


def test_probe_matches_ffprobe():
    info = cuframe.probe(sample("nasa_13013.mp4"))
    assert info.video.codec == "h264" and (info.video.width, info.video.height) == (320, 180)
    assert info.video.frames == len(ffprobe_pts(sample("nasa_13013.mp4")))
    assert info.video.fps == Fraction(25) and info.video.color.matrix == "bt709"
    assert info.container.startswith("mov")


def test_memory_and_file_object_sources_equal_the_path(tmp_path):
    want = np.asarray(cuframe.load(CLIP, format="rgb24", device="cpu").frames)
    data = open(CLIP, "rb").read()
    for src in (data, bytearray(data), memoryview(data), open(CLIP, "rb")):
        got = np.asarray(cuframe.load(src, format="rgb24", device="cpu").frames)
        assert np.array_equal(got, want)


def test_clip_views_share_memory():
    clip = cuframe.load(CLIP, format="rgb24", device="cpu")
    whole = np.asarray(clip.frames)
    one, part = np.asarray(clip[5]), np.asarray(clip[10:20])
    assert one.shape == (1, 240, 320, 3) and part.shape == (10, 240, 320, 3)
    assert np.shares_memory(one, whole) and np.shares_memory(part, whole)
    assert np.array_equal(part, whole[10:20]) and clip[-1].pts.tolist() == clip.frames.pts[-1:].tolist()
    assert len(clip[50:50]) == 0
    with pytest.raises(IndexError):
        clip[60]


def test_to_matches_load_with_a_format_and_resizes():
    native = cuframe.load(CLIP, device="cpu")
    assert np.array_equal(np.asarray(native.to("rgb24")), np.asarray(cuframe.load(CLIP, format="rgb24", device="cpu").frames))
    small = native.frames.to("rgb24", width=160, height=120, filter="area")
    assert np.asarray(small).shape == (60, 120, 160, 3)
    assert np.array_equal(np.asarray(cuframe.load(CLIP, format="rgb24", device="cpu", width=160, height=120,
                                                  filter="area").frames), np.asarray(small))
    net = native.frames.to("rgbpf32", crop=(0, 0, 320, 224), width=224, height=224, mean=0.5, stddev=0.25)
    arr = np.asarray(net)
    assert arr.shape == (60, 3, 224, 224) and arr.dtype == np.float32
    assert -2.0 - 1e-6 <= arr.min() and arr.max() <= 2.0 + 1e-6
    assert np.asarray(native.frames.to("rgbpf16")).dtype == np.float16
    back = cuframe.load(CLIP, format="rgb24", device="cpu").frames.to("nv12")
    assert back.format == "nv12" and len(back) == 60


@pytest.mark.parametrize("src,exc,code", [
    ("/nonexistent/video.mp4", FileNotFoundError, "not found"),
    (str(DATA / "bad" / "not_a_video.mp4"), ValueError, "invalid data"),
    (str(DATA / "bad" / "audio_only.m4a"), cuframe.Error, None),
])
def test_errors_name_the_file(src, exc, code):
    with pytest.raises(exc) as e:
        cuframe.load(src)
    assert isinstance(e.value, cuframe.Error)
    assert e.value.subject and e.value.reason and src.split("/")[-1] in str(e.value)
    if code:
        assert e.value.code == code


def test_corrupt_input_is_an_error_not_a_short_clip():
    with pytest.raises(cuframe.InvalidDataError) as e:
        cuframe.load(sample("corrupted.mp4"), device="cpu")
    assert "corrupted.mp4" in str(e.value)


def test_argument_errors():
    with pytest.raises(ValueError, match="unknown pixel format"):
        cuframe.load(CLIP, format="yuv422")
    with pytest.raises(ValueError, match="device"):
        cuframe.load(CLIP, device="gpu7")
    with pytest.raises(ValueError, match="past the last frame"):
        cuframe.load(CLIP, start=60)
    with pytest.raises(ValueError, match="unknown setting"):
        cuframe.load(CLIP, format="rgb24", sharpen=2)
    with pytest.raises(ValueError, match="both width and height"):
        cuframe.load(CLIP, format="rgb24", width=100)
    with pytest.raises(cuframe.InvalidArgumentError):
        cuframe.load(12345)
    with pytest.raises(cuframe.InvalidArgumentError, match="UTF-8"):
        cuframe.load("/tmp/caf\udce9.mp4")
