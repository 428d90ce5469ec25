"""The array protocols and lifetimes: DLPack (versioned and legacy), the buffer protocol,
__array__ as NumPy 2 defines it, zero copy, and arrays that outlive what made them."""

from __future__ import annotations

import ctypes
import gc

import numpy as np
import pytest

import cuframe
from conftest import sample

CLIP = sample("bt601_limited_range.mp4")


def capsule_name(capsule) -> str:
    get = ctypes.pythonapi.PyCapsule_GetName
    get.restype, get.argtypes = ctypes.c_char_p, [ctypes.py_object]
    return get(capsule).decode()


def test_dlpack_twice_shares_memory_and_copies_nothing():
    frames = cuframe.load(CLIP, format="rgb24", device="cpu").frames
    a, b = np.from_dlpack(frames), np.from_dlpack(frames)
    assert np.shares_memory(a, b)
    assert a.__array_interface__["data"][0] == b.__array_interface__["data"][0]
    assert np.shares_memory(np.asarray(frames), a) and np.shares_memory(memoryview(frames), a)
    a[0, 0, 0] = (1, 2, 3)
    assert b[0, 0, 0].tolist() == [1, 2, 3]  # one memory
    assert frames.__dlpack_device__() == (1, 0)


def test_versioned_capsule_only_when_asked():
    frames = cuframe.load(CLIP, format="gray", device="cpu").frames
    assert capsule_name(frames.__dlpack__()) == "dltensor"
    assert capsule_name(frames.__dlpack__(max_version=(1, 0))) == "dltensor_versioned"
    assert capsule_name(frames.__dlpack__(max_version=(0, 8))) == "dltensor"
    copied = np.from_dlpack(frames, copy=True)
    assert not np.shares_memory(copied, np.asarray(frames)) and np.array_equal(copied, np.asarray(frames))
    with pytest.raises(BufferError):
        frames.__dlpack__(dl_device=(2, 0))


def test_buffer_protocol_and_strides_from_the_pitch():
    frames = cuframe.load(CLIP, format="rgb24", device="cpu").frames
    m = memoryview(frames)
    assert m.shape == (60, 240, 320, 3) and m.format == "B" and not m.readonly
    assert m.strides[1] == 1024  # 960 bytes a row, pitched to 1024: no copy to make it tight
    assert m.strides[0] >= 240 * 1024


def test_dunder_array_follows_numpy_2():
    frames = cuframe.load(CLIP, format="gray", device="cpu").frames
    base = np.asarray(frames)
    assert np.shares_memory(np.asarray(frames, copy=None), base)
    assert not np.shares_memory(np.array(frames, copy=True), base)
    f = np.asarray(frames, dtype=np.float32)
    assert f.dtype == np.float32 and np.array_equal(f, base)
    with pytest.raises(ValueError):
        np.asarray(frames, dtype=np.float32, copy=False)


def test_planes_of_multi_plane_formats_and_refusal_at_the_batch():
    frames = cuframe.load(CLIP, device="cpu").frames
    with pytest.raises(BufferError, match="planes"):
        np.asarray(frames)
    with pytest.raises(BufferError):
        memoryview(frames)
    y, uv = frames.planes
    assert y.shape == (60, 240, 320) and uv.shape == (60, 120, 160, 2) and y.typestr == "|u1"
    assert np.shares_memory(np.from_dlpack(y), np.asarray(y))


def test_float_and_planar_shapes():
    native = cuframe.load(CLIP, device="cpu").frames
    assert np.asarray(native.to("rgbp")).shape == (60, 3, 240, 320)
    f32 = np.asarray(native.to("rgbpf32"))
    assert f32.shape == (60, 3, 240, 320) and f32.dtype == np.float32 and 0 <= f32.min() <= f32.max() <= 1
    rgb = np.asarray(native.to("rgb24")).astype(np.float32) / 255
    assert np.abs(f32.transpose(0, 2, 3, 1) - rgb).max() <= 0.5 / 255 + 1e-6


def test_an_array_outlives_its_clip():
    clip = cuframe.load(CLIP, format="rgb24", device="cpu")
    arr = np.asarray(clip[3:7])
    want = arr.copy()
    del clip
    gc.collect()
    junk = [cuframe.load(CLIP, format="rgb24", device="cpu") for _ in range(2)]  # reuse freed memory if any
    assert np.array_equal(arr, want)
    del junk


def test_an_array_outlives_its_reader_and_keeps_its_bytes_while_it_decodes_on():
    reader = cuframe.VideoReader(CLIP, batch=8, format="rgb24", device="cpu")
    first = np.from_dlpack(next(reader))
    want = first.copy()
    rest = [np.asarray(b).copy() for b in reader]  # the reader decodes 52 more frames
    assert len(rest) == 7
    assert np.array_equal(first, want)  # the first batch was never reused
    del reader
    gc.collect()
    assert np.array_equal(first, want)
    whole = np.asarray(cuframe.load(CLIP, format="rgb24", device="cpu").frames)
    assert np.array_equal(first, whole[:8])


def test_reader_recycles_batches_nobody_holds():
    with cuframe.VideoReader(CLIP, batch=8, format="rgb24", device="cpu") as reader:
        addresses = set()
        for batch in reader:
            addresses.add(np.asarray(batch).__array_interface__["data"][0])
            del batch
    assert len(addresses) <= 2  # a pool, not a new allocation per batch


def get_buffer(obj, flags: int) -> None:
    """PyObject_GetBuffer with `flags` (raises what it sets), then PyBuffer_Release."""
    buf = ctypes.create_string_buffer(256)  # larger than a Py_buffer
    ctypes.pythonapi.PyObject_GetBuffer.argtypes = [ctypes.py_object, ctypes.c_void_p, ctypes.c_int]
    ctypes.pythonapi.PyObject_GetBuffer(obj, buf, flags)
    ctypes.pythonapi.PyBuffer_Release.argtypes = [ctypes.c_void_p]
    ctypes.pythonapi.PyBuffer_Release(buf)


PyBUF_WRITABLE, PyBUF_FORMAT, PyBUF_ND, PyBUF_STRIDES = 0x1, 0x4, 0x8, 0x18
PyBUF_C_CONTIGUOUS = 0x20 | PyBUF_STRIDES


def test_buffer_requests_the_layout_cannot_meet_are_refused():
    frames = cuframe.load(CLIP, format="rgb24", device="cpu").frames  # 960-byte rows pitched to 1024
    get_buffer(frames, PyBUF_STRIDES | PyBUF_FORMAT | PyBUF_WRITABLE)
    with pytest.raises(BufferError, match="contiguous"):
        get_buffer(frames, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT)
    with pytest.raises(BufferError, match="strided"):
        get_buffer(frames, PyBUF_ND | PyBUF_FORMAT)
    assert not memoryview(frames).c_contiguous


def test_cached_chunks_export_read_only():
    cache = cuframe.ChunkCache(64 << 20, device="cpu")
    y = np.asarray(cache.get(CLIP, 0, 4).planes[0])
    want = y.copy()
    assert not y.flags.writeable and memoryview(cache.get(CLIP, 0, 4).planes[0]).readonly
    with pytest.raises(ValueError):
        y[:] = 0
    with pytest.raises(BufferError, match="read-only"):
        get_buffer(cache.get(CLIP, 0, 4).planes[0], PyBUF_STRIDES | PyBUF_WRITABLE)
    assert not np.from_dlpack(cache.get(CLIP, 0, 4).planes[0]).flags.writeable
    assert np.array_equal(np.asarray(cache.get(CLIP, 0, 4).planes[0]), want)  # the next hit is intact
    own = np.asarray(cuframe.load(CLIP, device="cpu", count=4).frames.planes[0])
    assert own.flags.writeable  # a clip of one's own is writable


def test_errors_pickle_with_their_parts():
    import pickle
    with pytest.raises(cuframe.Error) as info:
        cuframe.load(sample("corrupted.mp4"), device="cpu")
    e = info.value
    back = pickle.loads(pickle.dumps(e))
    assert type(back) is cuframe.InvalidDataError and isinstance(back, ValueError)
    assert (back.subject, back.reason, back.code, str(back)) == (e.subject, e.reason, e.code, str(e))
