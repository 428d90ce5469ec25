"""Each example of python/examples runs and does what it says."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import cuframe
from conftest import ROOT, sample

EXAMPLES = ROOT / "python" / "examples"


def run_example(name: str, *args) -> str:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    p = subprocess.run([sys.executable, str(EXAMPLES / name), *map(str, args)], capture_output=True, text=True,
                       env=env, timeout=300)
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_every_example_has_a_test():
    tested = {"gray_in_memory.py", "process_in_chunks.py", "live_stream.py", "segment_cache.py", "parallel_threads.py"}
    assert {p.name for p in EXAMPLES.glob("*.py")} == tested


def test_gray_in_memory(tmp_path):
    out = run_example("gray_in_memory.py", sample("bt601_limited_range.mp4"), tmp_path / "gray.mp4")
    assert "60 frames 320x240" in out and cuframe.probe(tmp_path / "gray.mp4").video.frames == 60


def test_process_in_chunks():
    out = run_example("process_in_chunks.py", sample("nasa_13013.mp4"))
    assert "325 frames, mean brightness" in out


def test_live_stream():
    assert "60 live frames" in run_example("live_stream.py", sample("bt601_limited_range.mp4"))


def test_segment_cache():
    lines = run_example("segment_cache.py", sample("bt601_limited_range.mp4")).splitlines()
    assert lines[0].endswith("hits 0, misses 4") and lines[1].endswith("hits 4, misses 4")
    assert lines[0].split("checksum")[1].split(",")[0] == lines[1].split("checksum")[1].split(",")[0]


def test_parallel_threads(tmp_path):
    out = run_example("parallel_threads.py", tmp_path, sample("bt601_limited_range.mp4"), sample("h265_video.mp4"))
    assert "60 frames" in out and "10 frames" in out
    assert cuframe.probe(tmp_path / "small_1.mp4").video.width == 160
