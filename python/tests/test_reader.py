"""cuframe.VideoReader: batches, seeking, live input from a pipe, the GIL and Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

import cuframe
from conftest import ROOT, sample

NASA = sample("nasa_13013.mp4")  # 320x180, 325 frames, B-frames, several keyframes


@pytest.fixture(scope="module")
def nasa_rgb():
    return np.asarray(cuframe.load(NASA, format="rgb24", device="cpu").frames)


def test_batches_equal_the_clip(nasa_rgb):
    with cuframe.VideoReader(NASA, batch=32, format="rgb24", device="cpu") as r:
        assert len(r) == 325 and r.info.video.frames == 325
        sizes, frames, indices = [], [], []
        for b in r:
            sizes.append(len(b))
            frames.append(np.asarray(b).copy())
            indices += b.indices.tolist()
    assert sizes == [32] * 10 + [5]
    assert indices == list(range(325))
    assert np.array_equal(np.concatenate(frames), nasa_rgb)


@pytest.mark.parametrize("target", [0, 1, 97, 200, 324])
def test_seek_is_frame_accurate(nasa_rgb, target):
    with cuframe.VideoReader(NASA, batch=16, format="rgb24", device="cpu") as r:
        r.seek(target)
        b = next(r)
        assert b.indices[0] == target
        assert np.array_equal(np.asarray(b), nasa_rgb[target:target + len(b)])


def test_keyframes_start_decodes():
    with cuframe.VideoReader(NASA, device="cpu") as r:
        keys = r.keyframes()
    assert keys[0] == 0 and len(keys) >= 2 and keys == sorted(keys)
    for k in keys[1:3]:
        b = cuframe.load(NASA, device="cpu", start=k, count=1).frames
        assert b.keyframes == [True]


def test_live_mode_reads_a_pipe_a_frame_at_a_time(nasa_rgb):
    feeder = subprocess.Popen(["cat", sample("bt601_limited_range.mp4")], stdout=subprocess.PIPE)
    try:
        ts = sample("bt601_limited_range.mp4")
        # A stream that cannot seek: MPEG-TS through a pipe, as `ffmpeg ... -f mpegts -` sends it.
        ff = subprocess.Popen(["ffmpeg", "-v", "error", "-i", ts, "-c", "copy", "-f", "mpegts", "-"],
                              stdout=subprocess.PIPE)
        with cuframe.VideoReader(ff.stdout, format="gray", device="cpu", mode="live") as r:
            sizes = [len(b) for b in r]
        ff.wait()
    finally:
        feeder.kill()
        feeder.wait()
    assert sizes and set(sizes) == {1} and len(sizes) == 60


def test_other_threads_run_during_a_long_decode():
    ticks = []
    stop = threading.Event()

    def count():
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    t = threading.Thread(target=count)
    start = time.perf_counter()
    t.start()
    clip = cuframe.load(sample("testsrc2.mp4"), format="rgb24", device="cpu")
    end = time.perf_counter()
    stop.set()
    t.join()
    during = [x for x in ticks if start < x < end]
    assert len(clip) == 60
    # With the GIL held the whole call, the thread would not tick at all while it runs.
    assert len(during) >= 0.3 * (end - start) / 0.002


@pytest.fixture(scope="module")
def long_video(tmp_path_factory):
    src = tmp_path_factory.mktemp("long") / "long.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30", "-t", "40",
                    "-c:v", "libx264", "-preset", "ultrafast", str(src)], check=True)
    return src


@pytest.mark.parametrize("call", [
    "cuframe.transcode(SRC, DST, device='cpu', preset='veryslow')",
    "cuframe.transcode_many([(SRC, DST), (SRC, DST + '.2.mp4')], device='cpu', preset='veryslow')",
    "cuframe.load(SRC, device='cpu')",                    # the whole video: ResidentClip, cancelled
    "cuframe.load(SRC, format='rgb24', device='cpu')",    # chunk by chunk
])
def test_ctrl_c_stops_a_long_call_and_leaves_no_output(tmp_path, long_video, call):
    dst = tmp_path / "out.mp4"
    code = textwrap.dedent(f"""
        import sys, time, cuframe
        SRC, DST = {str(long_video)!r}, {str(dst)!r}
        print("start", flush=True)
        try:
            for _ in range(20):  # long enough, whatever the machine
                {call}
        except KeyboardInterrupt:
            print("interrupted", flush=True)
            sys.exit(3)
        print("finished", flush=True)
    """)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env)
    assert p.stdout.readline().strip() == "start"
    time.sleep(1.5)
    t = time.perf_counter()
    p.send_signal(signal.SIGINT)
    out, _ = p.communicate(timeout=60)
    assert p.returncode == 3, out
    assert "interrupted" in out
    assert time.perf_counter() - t < 10, "Ctrl-C took effect only after the call had finished"
    assert not dst.exists() and not (tmp_path / "out.mp4.2.mp4").exists()
