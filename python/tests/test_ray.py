"""cuframe.ray on a local Ray cluster: 2 CPUs and one logical GPU, so the actors schedule
on a machine without a GPU and cuframe falls back to the CPU inside them (device="auto").

    PYTHONPATH=build/ci-cpu/python .venv/bin/python -m pytest -q python/tests/test_ray.py
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

try:
    import ray
    import ray.data
except ImportError as e:  # the optional extra: pip install 'cuframe[ray]'
    pytest.skip(f"Ray Data is not installed ({e}); pip install 'cuframe[ray]'", allow_module_level=True)

import cuframe
import cuframe.ray

SAMPLES = Path(__file__).resolve().parents[2] / "tests" / "data" / "samples"
GOOD = ["bt601_limited_range.mp4", "nasa_13013.mp4", "h265_video.mp4", "testsrc2.mp4", "discard_first_keyframe.mp4"]
BROKEN = "corrupted.mp4"  # decodes for a while, then fails: the partial output must go
# Quick libx264 settings that keep every frame of the small samples above 38 dB luma PSNR.
OPTIONS = {"quality": 15, "preset": "veryfast"}


@pytest.fixture(scope="module")
def local_ray():
    # The workers find cuframe where this process did, whatever their working directory.
    package_root = str(Path(cuframe.__file__).resolve().parents[1])
    old_path = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, old_path) if p)
    ray.init(num_cpus=2, num_gpus=1, object_store_memory=300 * 1024 * 1024, include_dashboard=False)
    # Start work only once the whole actor pool is up, so that with one segment in flight
    # per actor the first segments go to different actors (test_read_frames checks that).
    context = ray.data.DataContext.get_current()
    old_wait = context.wait_for_min_actors_s
    context.wait_for_min_actors_s = 120
    yield ray
    context.wait_for_min_actors_s = old_wait
    ray.shutdown()
    if old_path is None:
        os.environ.pop("PYTHONPATH", None)
    else:
        os.environ["PYTHONPATH"] = old_path


def luma(path) -> np.ndarray:
    """The Y planes of every frame, (N, H, W) float64, decoded on the CPU."""
    return np.asarray(cuframe.load(path, device="cpu").frames.planes[0]).astype(np.float64)


def min_psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = ((a - b) ** 2).reshape(len(a), -1).mean(axis=1)
    return float((10 * np.log10(255.0**2 / np.maximum(mse, 1e-12))).min())


def snapshot(paths) -> dict:
    return {p: (Path(p).read_bytes(), os.stat(p).st_mtime_ns) for p in paths}


def test_transcode_jobs_errors_and_resume(local_ray, tmp_path):
    (tmp_path / "in").mkdir()
    for name in [*GOOD, BROKEN]:
        shutil.copy(SAMPLES / name, tmp_path / "in" / name)
    jobs = [(str(tmp_path / "in" / n), str(tmp_path / "out" / n)) for n in [*GOOD, BROKEN]]
    good_jobs, (broken_src, broken_dst) = jobs[:-1], jobs[-1]

    rows = cuframe.ray.transcode(jobs, **OPTIONS).take_all()
    assert sorted(r["src"] for r in rows) == sorted(s for s, _ in jobs)
    by_src = {r["src"]: r for r in rows}
    for src, dst in good_jobs:
        row = by_src[src]
        assert row["error"] == "" and not row["skipped"], row
        assert row["dst"] == dst and row["decoder"] and row["encoder"]
        assert cuframe.probe(dst).video.frames == cuframe.probe(src).video.frames == row["frames"]
        source, output = luma(src), luma(dst)
        assert source.shape == output.shape
        assert min_psnr(source, output) >= 38.0, src

    broken = by_src[broken_src]
    assert broken["error"] and broken_src in broken["error"] and not broken["skipped"]
    assert broken["frames"] == 0
    assert not os.path.exists(broken_dst)
    assert sorted(os.listdir(tmp_path / "out")) == sorted(GOOD)  # no partial or temporary file either

    # The same jobs in one process give the same frame counts and the same error.
    (tmp_path / "direct").mkdir()
    for src, _ in good_jobs:
        stats = cuframe.transcode(src, tmp_path / "direct" / Path(src).name, **OPTIONS)
        assert by_src[src]["frames"] == stats.frames
    with pytest.raises(cuframe.Error) as direct_error:
        cuframe.transcode(broken_src, tmp_path / "direct" / BROKEN, **OPTIONS)
    assert broken["error"] == str(direct_error.value)

    # Run again: complete outputs are skipped and left alone; the broken job fails again.
    before = snapshot(d for _, d in good_jobs)
    again = {r["src"]: r for r in cuframe.ray.transcode(jobs, **OPTIONS).take_all()}
    assert len(again) == len(jobs)
    for src, _ in good_jobs:
        assert again[src]["skipped"] and again[src]["error"] == "", again[src]
    assert snapshot(d for _, d in good_jobs) == before
    assert not again[broken_src]["skipped"] and again[broken_src]["error"] == broken["error"]
    assert not os.path.exists(broken_dst)


def test_read_frames_every_frame_once(local_ray):
    nasa, bt601 = str(SAMPLES / "nasa_13013.mp4"), str(SAMPLES / "bt601_limited_range.mp4")
    segment_frames = 100

    plan = cuframe.ray.plan_segments([nasa, bt601], segment_frames)
    nasa_plan = [s for s in plan if s["path"] == nasa]
    keyframes = set(cuframe.VideoReader(nasa).keyframes())
    assert len(nasa_plan) >= 2
    assert all(s["first"] in keyframes for s in nasa_plan)
    for path in (nasa, bt601):
        segments = [s for s in plan if s["path"] == path]
        covered = [i for s in segments for i in range(s["first"], s["first"] + s["count"])]
        assert covered == list(range(len(cuframe.VideoReader(path))))

    rows = cuframe.ray.read_frames([nasa, bt601], format="rgb24", segment_frames=segment_frames,
                                   _debug_worker_column=True).take_all()
    for path in (nasa, bt601):
        reference = cuframe.load(path, format="rgb24")
        frames, pts = np.asarray(reference.frames), reference.frames.pts
        mine = [r for r in rows if r["path"] == path]
        indices = [int(r["frame_index"]) for r in mine]
        assert sorted(indices) == list(range(len(frames))), path  # every frame, once
        for r in mine:
            i = int(r["frame_index"])
            assert r["frame"].shape == frames[i].shape and r["frame"].dtype == np.uint8
            assert r["frame"].tobytes() == frames[i].tobytes(), (path, i)
            assert int(r["pts"]) == int(pts[i])
    assert len({int(r["worker_pid"]) for r in rows}) >= 2  # segments decoded by two actors


def test_node_resources_match_devices():
    resources = cuframe.ray.node_resources()
    assert set(resources) == {"NVDEC", "NVENC"}
    assert all(type(v) is int and v >= 0 for v in resources.values())
    gpus = cuframe.devices()
    assert resources["NVDEC"] == sum(d.nvdec_engines for d in gpus)
    assert resources["NVENC"] == sum(1 for d in gpus if d.nvenc)


def test_schedule_asks_for_engines_only_where_advertised():
    def cluster(**have):
        return types.SimpleNamespace(cluster_resources=lambda: have)

    plain = cuframe.ray._schedule(cluster(CPU=2.0, GPU=1.0), 6, None, 0.5, ("NVDEC", "NVENC"), None)
    assert "resources" not in plain and plain["num_gpus"] == 0.5 and plain["num_cpus"] == 0.5
    assert plain["compute"].min_size == plain["compute"].max_size == 2  # 1 GPU / 0.5

    h200 = cuframe.ray._schedule(cluster(CPU=64.0, GPU=8.0, NVDEC=56.0), 100, 0.25, 0.5, ("NVDEC", "NVENC"), None)
    assert h200["resources"] == {"NVDEC": 1.0} and h200["compute"].max_size == 32  # 8 GPUs / 0.25

    l4 = cuframe.ray._schedule(cluster(CPU=16.0, GPU=1.0, NVDEC=4.0, NVENC=1.0), 100, 0.5, 0.5,
                               ("NVDEC", "NVENC"), None)
    assert l4["resources"] == {"NVDEC": 1.0, "NVENC": 1.0} and l4["compute"].max_size == 1  # one NVENC

    cpu_only = cuframe.ray._schedule(cluster(CPU=4.0), 3, None, 0.5, ("NVDEC",), None)
    assert cpu_only["num_gpus"] == 0.0 and cpu_only["compute"].max_size == 3  # as many as the jobs
    small = cuframe.ray._schedule(cluster(CPU=2.0), 10, None, 0.5, ("NVDEC",), None)
    assert small["compute"].max_size == 2  # one of the two CPUs stays free for Ray Data's tasks

    pool = cuframe.ray._schedule(cluster(CPU=4.0, GPU=1.0), 3, None, 0.5, ("NVDEC",), (1, 4))
    assert (pool["compute"].min_size, pool["compute"].max_size) == (1, 4)


def test_import_needs_no_ray_and_says_how_to_get_it():
    code = (
        "import sys; sys.modules['ray'] = None\n"  # as if Ray were not installed
        "import cuframe, cuframe.ray\n"
        "try:\n"
        "    cuframe.ray.transcode([('a.mp4', 'b.mp4')])\n"
        "except ImportError as e:\n"
        "    print(e)\n")
    env = dict(os.environ, PYTHONPATH=str(Path(cuframe.__file__).resolve().parents[1]))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert "pip install 'cuframe[ray]'" in out
