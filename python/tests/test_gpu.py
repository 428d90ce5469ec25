"""The GPU paths: device batches, their array protocols and streams, GPU kernels equal to
the CPU executor byte for byte. On a real GPU, or the virtual GPU of the virtual-gpu
build; skipped without one (failed under CUFRAME_REQUIRE_GPU=1)."""

from __future__ import annotations

import numpy as np
import pytest

import cuframe
from conftest import sample

CLIP = sample("bt601_limited_range.mp4")


def test_device_load_is_the_cpu_decode(gpu):
    dev = cuframe.load(CLIP, device=gpu)
    assert dev.frames.device == gpu and "NVDEC" in dev.decoder
    cpu = cuframe.load(CLIP, device="cpu")
    for d, c in zip(dev.frames.cpu().planes, cpu.frames.planes):
        assert np.array_equal(np.asarray(d), np.asarray(c))
    assert dev.frames.pts.tolist() == cpu.frames.pts.tolist()


@pytest.mark.parametrize("fmt,settings", [("rgb24", {}), ("gray", {}), ("rgbpf32", {}),
                                          ("rgb24", {"width": 160, "height": 120}),
                                          ("rgbpf16", {"crop": (0, 0, 320, 224), "width": 224, "height": 224,
                                                       "mean": (0.485, 0.456, 0.406), "stddev": (0.229, 0.224, 0.225)})])
def test_gpu_kernels_equal_the_cpu_executor(gpu, fmt, settings):
    dev = cuframe.load(CLIP, format=fmt, device=gpu, **settings).frames
    cpu = cuframe.load(CLIP, format=fmt, device="cpu", **settings).frames
    assert dev.device == gpu
    assert np.array_equal(np.asarray(dev.cpu()), np.asarray(cpu))
    assert np.array_equal(np.asarray(cuframe.load(CLIP, device=gpu).frames.to(fmt, **settings).cpu()), np.asarray(cpu))


def test_device_array_protocols(gpu):
    frames = cuframe.load(CLIP, format="rgb24", device=gpu).frames
    assert frames.__dlpack_device__() == (2, 0)
    cai = frames.__cuda_array_interface__
    assert cai["version"] == 3 and cai["shape"] == (60, 240, 320, 3) and cai["typestr"] == "|u1"
    assert cai["strides"][1] == 1024 and cai["data"][0] != 0 and "stream" in cai
    for stream in (None, 1, -1, cai["stream"]):
        assert type(frames.__dlpack__(stream=stream)).__name__ == "PyCapsule"
    with pytest.raises(cuframe.InvalidArgumentError, match="stream=0"):
        frames.__dlpack__(stream=0)
    with pytest.raises(BufferError, match=r"\.cpu\(\)"):
        np.asarray(frames)
    with pytest.raises(BufferError):
        memoryview(frames)
    class Capsule:  # np.from_dlpack takes an object with the protocol
        def __init__(self, c):
            self.c = c
        def __dlpack__(self, **kw):
            return self.c
        def __dlpack_device__(self):
            return (1, 0)
    host = np.from_dlpack(Capsule(frames.__dlpack__(dl_device=(1, 0))))
    assert np.array_equal(host, np.asarray(frames.cpu()))


def test_reader_and_writer_on_the_device(gpu, tmp_path):
    with cuframe.VideoReader(CLIP, batch=16, format="rgb24", device=gpu) as r:
        batches = list(r)
    assert [len(b) for b in batches] == [16, 16, 16, 12] and all(b.device == gpu for b in batches)
    want = np.asarray(cuframe.load(CLIP, format="rgb24", device="cpu").frames)
    assert np.array_equal(np.concatenate([np.asarray(b.cpu()) for b in batches]), want)
    out = tmp_path / "gpu.mp4"
    with cuframe.VideoWriter(out, like=CLIP) as w:  # auto: NVENC where the GPU has it, else libx264
        for b in batches:
            w.write(b)
    assert cuframe.probe(out).video.frames == 60
    has_nvenc = cuframe.devices()[0].nvenc
    assert ("NVENC" in w.encoder["description"]) == has_nvenc
    assert (w.encoder["fallback_reason"] == "") == has_nvenc
    if not has_nvenc:  # asked for explicitly, NVENC is an error naming why, never a silent fallback
        with pytest.raises(cuframe.UnsupportedError, match="NVENC"):
            with cuframe.VideoWriter(tmp_path / "x.mp4", like=CLIP, device=gpu) as w:
                w.write(batches[0])
        assert not (tmp_path / "x.mp4").exists()
