"""MediaInfo: what `cuframe probe --json` says about a file, as Python objects."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from fractions import Fraction


def _fraction(text: str) -> Fraction:
    num, _, den = text.replace(":", "/").partition("/")
    den = int(den or 1)
    return Fraction(int(num), den) if den else Fraction(0)


@dataclass(frozen=True)
class ColorInfo:
    matrix: str
    range: str
    primaries: str
    transfer: str
    chroma_location: str
    tags: dict


@dataclass(frozen=True)
class VideoInfo:
    index: int
    codec: str
    profile: str
    width: int
    height: int
    pix_fmt: str
    bit_depth: int
    chroma: str
    frames: int
    fps: Fraction
    duration_s: float
    rotation: int
    color: ColorInfo
    sar: Fraction
    time_base: Fraction
    bit_rate: int
    hdr_metadata: bool
    decode_errors: int


@dataclass(frozen=True)
class AudioInfo:
    index: int
    codec: str
    profile: str
    sample_rate: int
    channels: int
    channel_layout: str
    duration_s: float


@dataclass(frozen=True)
class MediaInfo:
    """`.container`, `.duration_s`, `.size_bytes`, `.video` (VideoInfo), `.audio` (a list of
    AudioInfo): the facts of `cuframe probe --json`, with `fps`, `sar` and `time_base` as
    fractions.Fraction."""

    container: str
    duration_s: float
    size_bytes: int
    video: VideoInfo
    audio: list = field(default_factory=list)
    source: object = field(default=None, repr=False, compare=False)

    @classmethod
    def _from_json(cls, text: str) -> "MediaInfo":
        d = json.loads(text)
        v = dict(d["video"])
        v["color"] = ColorInfo(**v["color"])
        v["fps"] = _fraction(v["fps"])
        v["sar"] = _fraction(v["sar"])
        v["time_base"] = _fraction(v["time_base"])
        return cls(container=d["container"], duration_s=d["duration_s"], size_bytes=d["size_bytes"],
                   video=VideoInfo(**v), audio=[AudioInfo(**a) for a in d["audio"]])

    def to_dict(self) -> dict:
        from dataclasses import asdict
        out = asdict(self)
        out.pop("source", None)
        return out
