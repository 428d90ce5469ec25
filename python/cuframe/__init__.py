"""cuframe: whole videos as arrays — NVDEC/libavcodec decode, CUDA or SIMD kernels, NVENC/libx264 encode.

    import numpy as np, cuframe
    clip = cuframe.load("in.mp4", format="rgb24")      # every frame, one allocation
    frames = np.asarray(clip.frames)                   # (N, H, W, 3) uint8, no copy
    with cuframe.VideoWriter("gray.mp4", like=clip) as out:
        out.write(cuframe.load("in.mp4", format="gray").frames)

Long calls release the GIL and stop on Ctrl-C. Errors raise cuframe.Error (with `.code`,
`.subject`, `.reason`), whose subclasses also derive from the natural built-in exception.
Lifetimes, streams and the array protocols: docs/python.md.
"""

from __future__ import annotations

import os
import stat
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from fractions import Fraction

from . import _cuframe
from ._cuframe import Array, FrameBatch
from ._errors import (DriverError, Error, InvalidArgumentError, InvalidDataError, IoError, LimitExceededError,
                      NotFoundError, OutOfMemoryError, UnsupportedError)
from ._info import AudioInfo, ColorInfo, MediaInfo, VideoInfo

__version__ = _cuframe._version()
__all__ = [
    "probe", "devices", "driver", "set_verbosity", "load", "Clip", "VideoReader", "VideoWriter", "FrameBatch", "Array", "transcode",
    "transcode_many", "TranscodeStats", "ChunkCache", "MediaInfo", "VideoInfo", "AudioInfo", "ColorInfo", "Device",
    "Error", "InvalidArgumentError", "NotFoundError", "InvalidDataError", "UnsupportedError", "LimitExceededError",
    "OutOfMemoryError", "DriverError", "IoError",
]


def set_verbosity(level: str) -> None:
    """How chatty the engine and its FFmpeg are on stderr: "quiet", "errors" (the default:
    FFmpeg silent), "info" (what was chosen and why, FFmpeg's warnings) or "debug"."""
    levels = {"quiet": 0, "errors": 1, "info": 2, "debug": 3}
    if level not in levels:
        raise InvalidArgumentError("set_verbosity", f"level must be one of {', '.join(levels)}", "invalid argument")
    _cuframe._set_verbosity(levels[level])


def _source(src):
    """(what the extension takes, its name): a path as str, or a memory input as bytes.
    File objects that are pipes, sockets or terminals are read as they stream (their
    /dev/fd path); other file objects are read into memory."""
    if isinstance(src, (str, os.PathLike)):
        path = os.fspath(src)
        try:
            path = path.decode() if isinstance(path, bytes) else path
            path.encode("utf-8")
        except UnicodeError:
            raise InvalidArgumentError(repr(path), "the path is not valid UTF-8: open the file and pass the file object",
                                       "invalid argument") from None
        return path, ""
    if isinstance(src, bytes):
        return src, "<memory>"
    if isinstance(src, (bytearray, memoryview)):
        return bytes(src), "<memory>"
    if hasattr(src, "read"):
        name = str(getattr(src, "name", "<file object>"))
        try:
            fd = src.fileno()
            mode = os.fstat(fd).st_mode
            if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or stat.S_ISCHR(mode):
                return f"/dev/fd/{fd}", ""
        except (AttributeError, OSError, ValueError):
            pass
        data = src.read()
        if not isinstance(data, (bytes, bytearray)):
            raise InvalidArgumentError(name, "the file object must be opened in binary mode", "invalid argument")
        return bytes(data), name
    raise InvalidArgumentError(repr(type(src)), "src must be a path, a bytes-like object or a binary file object",
                               "invalid argument")


def probe(src, count_frames: bool = True) -> MediaInfo:
    """Describes a video: container, video stream (frames counted by a full decode, as
    ffprobe -count_frames does, unless count_frames=False) and audio streams."""
    obj, name = _source(src)
    info = _cuframe._probe(obj, name, count_frames)
    object.__setattr__(info, "source", obj)
    return info


@dataclass(frozen=True)
class Device:
    ordinal: int
    name: str
    compute_capability: tuple
    total_memory: int
    multiprocessors: int
    pci_bus_id: str
    nvdec_engines: int
    nvdec_problem: str
    nvenc: bool
    nvenc_problem: str


def devices() -> list:
    """The GPUs the driver sees, with their NVDEC engines and whether they have NVENC
    (empty without a usable driver: see driver())."""
    return [Device(**d) for d in _cuframe._devices()]


def driver() -> dict:
    """The driver's libraries and version, and why no GPU is usable ("problem") if none is."""
    return _cuframe._driver()


class Clip:
    """A whole video (or a range of it) decoded into one allocation. `clip[i]` and
    `clip[a:b]` are FrameBatch views (no copy); `clip.frames` is all of it."""

    def __init__(self, native, src):
        self._native = native
        self._src = src
        self.frames: FrameBatch = native.frames
        self.decoder: str = native.decoder
        self._info = None

    @property
    def info(self) -> MediaInfo:
        """The source's MediaInfo (video.frames: the frames a full decode gives)."""
        if self._info is None:
            self._info = self._native.info
            object.__setattr__(self._info, "source", self._src)
        return self._info

    def __len__(self) -> int:
        return len(self.frames)

    def __getitem__(self, key) -> FrameBatch:
        return self.frames[key]

    def to(self, format: str, **settings) -> FrameBatch:
        return self.frames.to(format, **settings)

    def __repr__(self) -> str:
        return f"<cuframe.Clip {len(self)} frames, {self.frames!r}, decoder {self.decoder!r}>"


def load(src, format: str = "native", device: str = "auto", start: int = 0, count: int | None = None,
         **to_settings) -> Clip:
    """Decodes `count` frames from frame `start` (default: all) into one allocation. With a
    format other than "native" (or settings of FrameBatch.to), each chunk is converted
    while decoding: the peak memory is the result plus a few frames."""
    obj, name = _source(src)
    return Clip(_cuframe._load(obj, name, format, device, start, count, to_settings), obj)


class VideoReader:
    """Batches of frames with bounded memory: `for batch in reader`. mode="live" for pipes
    and cameras (batches of one frame). A batch handed out is never overwritten while
    anything made from it is alive."""

    def __init__(self, src, batch: int = 32, format: str = "native", device: str = "auto", mode: str = "stream",
                 **to_settings):
        obj, name = _source(src)
        self._src = obj
        self._native = _cuframe._Reader(obj, name, batch, format, device, mode, to_settings)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def close(self) -> None:
        """Closes the input (batches handed out stay valid)."""
        self._native.close()

    def __iter__(self):
        return self

    def __next__(self) -> FrameBatch:
        batch = self._native.next()
        if batch is None:
            raise StopIteration
        return batch

    def __len__(self) -> int:
        return self._native.frame_count()

    def seek(self, index: int) -> None:
        """Frame-accurate: the next batch starts with frame `index` (presentation order)."""
        self._native.seek(index)

    @property
    def info(self) -> MediaInfo:
        info = self._native.info()
        object.__setattr__(info, "source", self._src)
        return info

    @property
    def decoder(self) -> str:
        return self._native.decoder()

    def keyframes(self) -> list:
        """Frame indices of the keyframes (where a decode can start)."""
        return self._native.keyframes()

    @property
    def frames_read(self) -> int:
        return self._native.frames_read()


def _like_source(like):
    if like is None:
        return None, ""
    if isinstance(like, Clip):
        src = like._src
    elif isinstance(like, MediaInfo):
        src = like.source
        if src is None:
            raise InvalidArgumentError("like", "this MediaInfo does not know its source", "invalid argument")
    else:
        src = _source(like)[0]
    return src, ("<memory>" if isinstance(src, bytes) else "")


class VideoWriter:
    """Frames to a finished video file: complete after close(), absent after an error.
    width, height and fps are required unless like= (a Clip, MediaInfo or path) gives them."""

    def __init__(self, dst, width: int | None = None, height: int | None = None, fps=None, codec: str = "h264",
                 device: str = "auto", pixel_format: str = "rgb24", like=None, **options):
        if like is None and (width is None or height is None or fps is None):
            raise InvalidArgumentError("VideoWriter", "give width, height and fps, or like= (a Clip, MediaInfo or path)",
                                       "invalid argument")
        like_src, like_name = _like_source(like)
        self._native = _cuframe._Writer(os.fspath(dst), width or 0, height or 0, fps, codec, device, pixel_format,
                                        like_src, like_name, options)

    def write(self, frames) -> None:
        """A FrameBatch, or uint8 frames (H,W,3), (N,H,W,3), (H,W) or (N,H,W): NumPy, or
        torch / CuPy through DLPack."""
        self._native.write(frames)

    def close(self) -> None:
        self._native.close()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self._native = None  # no close(): the output is removed
        return False

    @property
    def encoder(self) -> dict:
        """{"description": which encoder, "fallback_reason": why not NVENC ("" if it is)}."""
        return self._native.encoder()

    @property
    def frames_written(self) -> int:
        return self._native.frames_written()


@dataclass(frozen=True)
class TranscodeStats:
    frames: int
    seconds: float
    interrupted: bool
    decoder: str
    decode_sessions: int
    encoder: str
    encoder_fallback: str
    width: int
    height: int
    peak_host_bytes: int
    peak_device_bytes: int
    chunk_frames: int
    ring_chunks: int
    stage_busy_s: dict = field(default_factory=dict)


def transcode(src, dst, ops: str = "", codec: str = "h264", mode: str = "stream", device: str = "auto",
              progress=None, **options) -> TranscodeStats:
    """Decode, apply `ops` (the CLI's --ops list) and encode `src` into `dst`: what
    `cuframe transcode` runs. progress(frames, total, seconds) is called as it goes. The
    output is complete, or absent after an error or a Ctrl-C."""
    obj, name = _source(src)
    return TranscodeStats(**_cuframe._transcode(obj, name, os.fspath(dst), ops, codec, mode, device, progress,
                                                options))


def transcode_many(jobs, jobs_at_once: int | None = None, raise_errors: bool = True, **options) -> list:
    """Transcodes (src, dst) pairs, `jobs_at_once` at a time on threads (default: 2).
    Returns one TranscodeStats per job in order — or, with raise_errors=False, the
    cuframe.Error of a job that failed in its place. With raise_errors=True every job
    still runs, then the first error is raised."""
    jobs = list(jobs)
    workers = jobs_at_once or min(2, max(1, len(jobs)))
    if workers < 1:
        raise InvalidArgumentError("jobs_at_once", "must be >= 1", "invalid argument")

    stop = threading.Event()
    user_progress = options.pop("progress", None)

    def one(job):
        def progress(frames, total, seconds):
            if stop.is_set():  # a Ctrl-C in the main thread: cancel this job (its output is removed)
                raise KeyboardInterrupt
            if user_progress is not None:
                user_progress(frames, total, seconds)

        if stop.is_set():
            return KeyboardInterrupt()
        try:
            return transcode(job[0], job[1], progress=progress, **options)
        except Error as e:
            return e
        except KeyboardInterrupt as e:
            return e

    pool = ThreadPoolExecutor(max_workers=workers)
    try:
        futures = [pool.submit(one, job) for job in jobs]
        results = [f.result() for f in futures]
    except KeyboardInterrupt:
        stop.set()  # the jobs running stop at their next chunk, the others never start
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    if any(isinstance(r, KeyboardInterrupt) for r in results):
        raise KeyboardInterrupt
    if raise_errors:
        for r in results:
            if isinstance(r, Error):
                raise r
    return results


class ChunkCache:
    """Decoded chunks kept within `budget_bytes`, least recently used evicted first;
    thread-safe, one decode per chunk."""

    def __init__(self, budget_bytes: int = 1 << 30, device: str = "auto"):
        self._native = _cuframe._ChunkCache(budget_bytes, device)
        self._lock = threading.Lock()

    def get(self, src, first: int, count: int) -> FrameBatch:
        """Frames [first, first + count) of src (fewer at the end of the video)."""
        obj, name = _source(src)
        return self._native.get(obj, name, first, count)

    def stats(self) -> dict:
        return self._native.stats()

    def clear(self) -> None:
        self._native.clear()
