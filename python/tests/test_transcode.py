"""cuframe.transcode, transcode_many and ChunkCache."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import cuframe
from conftest import run, sample

CLIP = sample("bt601_limited_range.mp4")


def test_transcode_equals_the_cli(tmp_path, cli):
    out = tmp_path / "a.mp4"
    seen = []
    stats = cuframe.transcode(CLIP, out, ops="resize=160x120,gray", device="cpu",
                              progress=lambda frames, total, s: seen.append((frames, total)))
    assert stats.frames == 60 and (stats.width, stats.height) == (160, 120)
    assert "libavcodec" in stats.decoder and "libx264" in stats.encoder
    assert seen and seen[-1][0] == 60
    ref = tmp_path / "b.mp4"
    run(cli, "transcode", CLIP, ref, "--ops", "resize=160x120,gray", "--device", "cpu")
    a = np.asarray(cuframe.load(out, device="cpu").frames.planes[0])
    b = np.asarray(cuframe.load(ref, device="cpu").frames.planes[0])
    assert np.array_equal(a, b)  # x264 is deterministic: the same frames as the C++ program


def test_transcode_errors_leave_nothing(tmp_path):
    out = tmp_path / "x.mp4"
    with pytest.raises(cuframe.InvalidDataError) as e:
        cuframe.transcode(sample("corrupted.mp4"), out, device="cpu")
    assert "corrupted.mp4" in str(e.value) and not out.exists()
    with pytest.raises(ValueError, match="--ops"):
        cuframe.transcode(CLIP, out, ops="resize=banana")
    with pytest.raises(ValueError, match="unknown option"):
        cuframe.transcode(CLIP, out, frobnicate=1)
    with pytest.raises(ValueError, match="progress"):
        cuframe.transcode(CLIP, out, device="cpu", progress=lambda *a: (_ for _ in ()).throw(ValueError("progress")))
    assert not out.exists()


def test_transcode_many_in_order_with_errors_in_place(tmp_path):
    jobs = [(CLIP, tmp_path / "1.mp4"), (sample("corrupted.mp4"), tmp_path / "2.mp4"),
            (sample("h265_video.mp4"), tmp_path / "3.mp4")]
    results = cuframe.transcode_many(jobs, jobs_at_once=2, raise_errors=False, device="cpu")
    assert results[0].frames == 60 and results[2].frames == 10
    assert isinstance(results[1], cuframe.InvalidDataError)
    assert not (tmp_path / "2.mp4").exists()
    with pytest.raises(cuframe.InvalidDataError):
        cuframe.transcode_many(jobs[:2], device="cpu")


def test_chunk_cache_hits_and_threads():
    cache = cuframe.ChunkCache(64 << 20, device="cpu")
    a = cache.get(CLIP, 10, 8)
    b = cache.get(CLIP, 10, 8)
    ref = cuframe.load(CLIP, device="cpu", start=10, count=8).frames
    assert np.array_equal(np.asarray(a.planes[0]), np.asarray(ref.planes[0]))
    assert np.shares_memory(np.asarray(a.planes[0]), np.asarray(b.planes[0]))
    s = cache.stats()
    assert (s["hits"], s["misses"]) == (1, 1)
    data = open(CLIP, "rb").read()
    got = []
    threads = [threading.Thread(target=lambda: got.append(cache.get(data, 40, 8))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 3 and cache.stats()["misses"] == 2
    assert len(cache.get(CLIP, 56, 8)) == 4
