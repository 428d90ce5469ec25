"""cuframe on a Ray cluster: many transcodes, or the frames of many videos, as Ray Data datasets.

    import cuframe.ray
    rows = cuframe.ray.transcode([("a.mp4", "out/a.mp4"), ("b.mp4", "out/b.mp4")], ops="resize=1280x720").take_all()
    for row in cuframe.ray.read_frames(["a.mp4", "b.mp4"]).iter_rows():
        row["path"], row["frame_index"], row["frame"]       # (H, W, 3) uint8

Both run on long-lived actors (a map_batches over a callable class, one job or one segment
per call) that each ask for a share of a GPU (num_gpus) and half a CPU, plus one NVDEC (and,
to transcode, one NVENC) where the cluster advertises those resources: node_resources() says
what to advertise. Inside an actor cuframe chooses NVDEC/NVENC or the CPU (device="auto")
and says which in the result. Datasets are lazy: nothing runs until one is consumed
(take_all, iter_rows, write_parquet, ...). Ray is imported only here, on first use:
`pip install 'cuframe[ray]'`. More: docs/scale-out.md.
"""

from __future__ import annotations

import math
import os

import cuframe

__all__ = ["transcode", "read_frames", "plan_segments", "node_resources", "DEFAULT_SEGMENT_FRAMES"]

DEFAULT_SEGMENT_FRAMES = 300  # read_frames' target segment size: memory per actor call is about this many frames
DEFAULT_NUM_GPUS = 0.5  # two actors per GPU: one decodes or encodes while the other waits on I/O
DEFAULT_NUM_CPUS = 0.5  # two actors and Ray Data's own tasks fit on a 2-CPU node
_BLOCK_BYTES = 64 << 20  # read_frames hands frames to Ray in blocks of at most this size (or one frame)


def _ray():
    """The ray module with Ray Data, connected to a cluster (ray.init() if not yet)."""
    try:
        import ray
        import ray.data  # noqa: F401  (the extra: ray[data])
    except ImportError as e:
        raise ImportError("cuframe.ray needs Ray Data: pip install 'cuframe[ray]'") from e
    if not ray.is_initialized():
        ray.init()
    return ray


def node_resources() -> dict:
    """This node's video engines as Ray custom resources: {"NVDEC": n, "NVENC": m}, n the
    NVDEC engines of all its GPUs, m the GPUs with NVENC (H100/H200 have none). Give them to
    `ray start --resources` (or a KubeRay rayStartParams) on each node; transcode and
    read_frames then ask for them. Zeros on a node without a usable GPU."""
    gpus = cuframe.devices()
    return {"NVDEC": int(sum(d.nvdec_engines for d in gpus)), "NVENC": int(sum(1 for d in gpus if d.nvenc))}


def _schedule(ray, n_work: int, num_gpus, num_cpus: float, engines: tuple, concurrency) -> dict:
    """map_batches' resource arguments and actor pool for n_work calls: num_gpus as given
    (default: DEFAULT_NUM_GPUS, or 0 on a cluster with no GPU at all, where Ray would never
    place the actors), one of each engine the cluster advertises, and by default a fixed pool
    of as many actors as both the work and the cluster's totals allow, one CPU left over for
    Ray Data's own tasks (a downstream map or write) where the cluster has more than one."""
    have = ray.cluster_resources()
    if num_gpus is None:
        num_gpus = DEFAULT_NUM_GPUS if have.get("GPU", 0) > 0 else 0.0
    if num_gpus < 0 or num_cpus < 0:
        raise cuframe.InvalidArgumentError("num_gpus/num_cpus", "must be >= 0", "invalid argument")
    resources = {name: 1.0 for name in engines if have.get(name, 0) > 0}
    from ray.data import ActorPoolStrategy
    if concurrency is None:
        asks = {"CPU": num_cpus, "GPU": num_gpus, **resources}
        room = dict(have, CPU=max(have.get("CPU", 0) - 1, num_cpus))
        fits = [math.floor(room.get(name, 0) / ask + 1e-9) for name, ask in asks.items() if ask > 0]
        size = max(1, min([n_work, *fits]))
        pool = ActorPoolStrategy(size=size, max_tasks_in_flight_per_actor=1)
    elif isinstance(concurrency, int):
        pool = ActorPoolStrategy(size=concurrency, max_tasks_in_flight_per_actor=1)
    else:
        low, high = concurrency
        pool = ActorPoolStrategy(min_size=low, max_size=high, max_tasks_in_flight_per_actor=1)
    args = {"compute": pool, "num_cpus": num_cpus, "num_gpus": num_gpus}
    if resources:
        args["resources"] = resources
    return args


def _complete(dst: str) -> bool:
    """Whether dst is a finished cuframe output. cuframe writes a file beside its target and
    renames it into place at the end (Note [Complete or absent] in cuframe/muxer.hpp), so a
    file there that probes with a video stream is complete; this reads its header only."""
    if not os.path.isfile(dst):
        return False
    try:
        return cuframe.probe(dst, count_frames=False).video is not None
    except cuframe.Error:
        return False


class _Transcoder:
    """The transcode actor: one cuframe.transcode per row, every failure an error row."""

    def __init__(self, options: dict, worker_column: bool):
        self._options = {"device": "auto", **options}
        self._worker_column = worker_column

    def _one(self, src: str, dst: str) -> dict:
        row = {"src": src, "dst": dst, "frames": 0, "seconds": 0.0, "decoder": "", "encoder": "", "error": "",
               "skipped": False}
        if _complete(dst):
            row["skipped"] = True
            return row
        try:
            os.makedirs(os.path.dirname(os.path.abspath(dst)), exist_ok=True)
            stats = cuframe.transcode(src, dst, **self._options)
            row.update(frames=stats.frames, seconds=stats.seconds, decoder=stats.decoder, encoder=stats.encoder)
        except Exception as e:  # noqa: BLE001  (a failed job is a row, never a failed dataset)
            row["error"] = str(e) if isinstance(e, cuframe.Error) else f"{src}: {type(e).__name__}: {e}"
            if os.path.isfile(dst):
                os.remove(dst)  # not a complete output (checked above): what was there is no result of this job
        return row

    def __call__(self, batch: dict) -> dict:
        import numpy as np
        rows = [self._one(str(s), str(d)) for s, d in zip(batch["src"], batch["dst"])]
        out = {
            "src": np.array([r["src"] for r in rows], dtype=object),
            "dst": np.array([r["dst"] for r in rows], dtype=object),
            "frames": np.array([r["frames"] for r in rows], dtype=np.int64),
            "seconds": np.array([r["seconds"] for r in rows], dtype=np.float64),
            "decoder": np.array([r["decoder"] for r in rows], dtype=object),
            "encoder": np.array([r["encoder"] for r in rows], dtype=object),
            "error": np.array([r["error"] for r in rows], dtype=object),
            "skipped": np.array([r["skipped"] for r in rows], dtype=bool),
        }
        if self._worker_column:
            out["worker_pid"] = np.full(len(rows), os.getpid(), dtype=np.int64)
        return out


def transcode(jobs, *, num_gpus: float | None = None, num_cpus: float = DEFAULT_NUM_CPUS, concurrency=None,
              _debug_worker_column: bool = False, **transcode_options):
    """Transcodes (src, dst) pairs on Ray actors; returns a ray.data.Dataset of one row per
    job: src, dst, frames, seconds, decoder, encoder (those of cuframe.TranscodeStats; 0 and
    "" when nothing ran), error ("" when the job worked) and skipped.

    Each job is one cuframe.transcode(src, dst, device="auto", **transcode_options) (ops,
    codec, mode, quality, preset, ... as there; device= overrides "auto") in a long-lived
    actor. A job that fails is a row whose error is the cuframe.Error text (it names the
    file); the dataset itself does not fail, and the job leaves no file at dst. Outputs are
    complete or absent, so running the same jobs again skips (skipped=True) every job whose
    dst is a file that probes as a video, without opening it for writing: an interrupted
    run resumes where it stopped. dst's folder is created when missing. The actors open
    the paths where they run: on several nodes, absolute paths on shared storage.

    num_gpus: the GPU share each actor asks for (default 0.5, or 0 on a cluster without
    GPUs); num_cpus: its CPU share. Each actor also asks for {"NVDEC": 1, "NVENC": 1}, each
    only when ray.cluster_resources() has it (see node_resources()). concurrency: the actor
    pool, an int (fixed) or (min, max) (autoscaling); by default as many actors as there are
    jobs and as the cluster's resources allow. Rows come in completion order unless Ray
    Data's DataContext.execution_options.preserve_order is set. `_debug_worker_column` adds
    worker_pid (the actor's process id), for tests.
    """
    jobs = [(os.fspath(s), os.fspath(d)) for s, d in jobs]
    dsts = [d for _, d in jobs]
    if len(set(map(os.path.abspath, dsts))) != len(dsts):
        raise cuframe.InvalidArgumentError("jobs", "two jobs write the same dst", "invalid argument")
    ray = _ray()
    if not jobs:
        return ray.data.from_items([])
    args = _schedule(ray, len(jobs), num_gpus, num_cpus, ("NVDEC", "NVENC"), concurrency)
    items = [{"src": s, "dst": d} for s, d in jobs]
    return ray.data.from_items(items, override_num_blocks=len(items)).map_batches(
        _Transcoder, batch_size=1, fn_constructor_args=(transcode_options, _debug_worker_column), **args)


def plan_segments(paths, segment_frames: int | None = None) -> list:
    """Splits videos into segments that start at keyframes, for decoding in parallel:
    [{"path", "first", "count"}, ...] in the order of paths, then of frames; together they
    hold every frame of each file once. Consecutive GOPs are merged until a segment holds at
    least `segment_frames` (default DEFAULT_SEGMENT_FRAMES) frames, so a file with few
    keyframes gives few segments (one if it has one keyframe); only the last segment of a
    file may be shorter. The first segment starts at frame 0 even where the first keyframe
    comes later. Reads each file's index (cuframe.VideoReader: keyframes() and len()), on
    the CPU; an unreadable file raises its cuframe.Error."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    target = DEFAULT_SEGMENT_FRAMES if segment_frames is None else int(segment_frames)
    if target < 1:
        raise cuframe.InvalidArgumentError("segment_frames", "must be >= 1", "invalid argument")
    segments = []
    for path in map(os.fspath, paths):
        with cuframe.VideoReader(path, device="cpu") as reader:
            n = len(reader)
            starts = sorted({k for k in reader.keyframes() if 0 < k < n})
        first = 0
        for end in [*starts, n]:
            if end - first >= target or end == n:
                if end > first:
                    segments.append({"path": path, "first": first, "count": end - first})
                first = end
    return segments


class _SegmentDecoder:
    """The read_frames actor: one cuframe.load per segment, yielded as frame rows."""

    def __init__(self, format: str, to_settings: dict, worker_column: bool):
        self._format = format
        self._settings = to_settings
        self._worker_column = worker_column

    def __call__(self, batch: dict):
        import numpy as np
        for path, first, count in zip(batch["path"], batch["first"], batch["count"]):
            path = str(path)
            frames = cuframe.load(path, format=self._format, start=int(first), count=int(count),
                                  **self._settings).frames.cpu()
            n = len(frames)
            if n == 0:
                continue
            index, pts = np.asarray(frames.indices, dtype=np.int64), np.asarray(frames.pts, dtype=np.int64)
            step = max(1, _BLOCK_BYTES // max(1, frames.nbytes // n))
            for a in range(0, n, step):
                b = min(n, a + step)
                out = {
                    "path": np.array([path] * (b - a), dtype=object),
                    "frame_index": index[a:b].copy(),
                    "pts": pts[a:b].copy(),
                    "frame": np.ascontiguousarray(np.asarray(frames[a:b])),
                }
                if self._worker_column:
                    out["worker_pid"] = np.full(b - a, os.getpid(), dtype=np.int64)
                yield out


def read_frames(paths, format: str = "rgb24", segment_frames: int | None = None, *, num_gpus: float | None = None,
                num_cpus: float = DEFAULT_NUM_CPUS, concurrency=None, _debug_worker_column: bool = False,
                **to_settings):
    """The frames of videos as a ray.data.Dataset of one row per frame: path, frame_index
    (presentation order), pts (in the stream's time base) and frame (a contiguous array, the
    same bytes as cuframe.load(path, format=format, **to_settings) gives for that frame:
    (H, W, C) or (H, W) for one-plane formats).

    The files are planned on the driver into keyframe-aligned segments of about
    `segment_frames` frames (plan_segments), which actors decode in parallel, each with
    cuframe.load(path, format, start=first, count=count, **to_settings) (device="auto"
    unless to_settings gives one). Every frame comes once. A file that cannot be planned
    raises here; one that fails to decode fails the dataset. Resources and the actor pool
    are chosen as for transcode (one NVDEC per actor where the cluster has that resource).
    Rows come in no fixed order; set ray.data.DataContext.get_current()
    .execution_options.preserve_order = True to get them in plan order (file by file, frame
    by frame). `_debug_worker_column` adds worker_pid (the actor's process id), for tests.
    """
    segments = plan_segments(paths, segment_frames)
    ray = _ray()
    if not segments:
        return ray.data.from_items([])
    args = _schedule(ray, len(segments), num_gpus, num_cpus, ("NVDEC",), concurrency)
    return ray.data.from_items(segments, override_num_blocks=len(segments)).map_batches(
        _SegmentDecoder, batch_size=1, fn_constructor_args=(format, to_settings, _debug_worker_column), **args)
