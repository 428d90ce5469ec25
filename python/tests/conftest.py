"""Fixtures of the Python suite: sample paths, the CLI, the oracles (ffmpeg, ffprobe), and
the GPU rule: GPU tests skip with a reason without a device, and fail instead under
CUFRAME_REQUIRE_GPU=1."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

# cuframe before NumPy: the virtual GPU's libcuda.so.1 (the virtual-gpu build) must load
# into a single-threaded process, and NumPy's BLAS starts threads.
import cuframe  # noqa: I001

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("CUFRAME_TEST_DATA", ROOT / "tests" / "data"))
SAMPLES = DATA / "samples"


def sample(name: str) -> str:
    return str(SAMPLES / name)


@pytest.fixture(scope="session")
def cli() -> str:
    path = os.environ.get("CUFRAME_CLI") or shutil.which("cuframe")
    if not path:
        pytest.skip("the cuframe program is not built (set CUFRAME_CLI)")
    return path


def run(*args, **kw) -> bytes:
    return subprocess.run([str(a) for a in args], check=True, capture_output=True, **kw).stdout


def ffmpeg_raw(path: str, pix_fmt: str, *extra: str) -> bytes:
    return run("ffmpeg", "-v", "error", "-i", path, *extra, "-f", "rawvideo", "-pix_fmt", pix_fmt, "-")


def ffprobe_pts(path: str) -> list[int]:
    out = run("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "frame=pts", "-of", "csv=p=0", path)
    return [int(line.split(",")[0]) for line in out.decode().split() if line.strip() and line != "N/A"]


def packed(arr: np.ndarray) -> bytes:
    """The bytes of an array written tightly, as `cuframe decode -o` and ffmpeg write them."""
    return np.ascontiguousarray(arr).tobytes()


def gpu_available() -> tuple[bool, str]:
    d = cuframe.driver()
    if not d["cuda_built"]:
        return False, "CPU-only build of cuframe"
    if d["device_count"] == 0 or d["problem"]:
        return False, d["problem"] or "no GPU"
    return True, ""


@pytest.fixture
def gpu():
    ok, why = gpu_available()
    if not ok:
        if os.environ.get("CUFRAME_REQUIRE_GPU") == "1":
            pytest.fail(f"CUFRAME_REQUIRE_GPU=1 but no usable GPU: {why}")
        pytest.skip(f"no GPU: {why}")
    return "cuda:0"
