"""cuframe's exceptions: one `Error` with the engine's category, subject and reason.

Each category has a subclass that also derives from the natural built-in exception, so
``except FileNotFoundError`` catches a missing input and ``except ValueError`` a bad
argument or corrupt data.
"""

from __future__ import annotations


class Error(Exception):
    """An error of the engine: `code` (its category, e.g. "invalid data"), `subject` (the
    file or call that failed) and `reason` (why, and what to do where that is known)."""

    def __init__(self, subject: str = "", reason: str = "", code: str = "internal"):
        self.subject = subject
        self.reason = reason
        self.code = code
        super().__init__(f"{subject}: {reason}" if subject else reason)

    def __reduce__(self):  # pickling (Ray, multiprocessing) keeps the three parts
        return (type(self), (self.subject, self.reason, self.code))


class InvalidArgumentError(Error, ValueError):
    """A parameter is out of its domain."""


class NotFoundError(Error, FileNotFoundError):
    """A file, stream or device does not exist."""

    def __str__(self) -> str:  # OSError formats its own message otherwise
        return f"{self.subject}: {self.reason}" if self.subject else self.reason


class InvalidDataError(Error, ValueError):
    """The input is corrupt, truncated or not what it claims to be."""


class UnsupportedError(Error, NotImplementedError):
    """Valid input the engine (or this GPU) cannot handle."""


class LimitExceededError(Error, MemoryError):
    """A protective limit (pixels, memory budget, frames) would be crossed."""


class OutOfMemoryError(Error, MemoryError):
    """An allocation failed."""


class DriverError(Error, RuntimeError):
    """The NVIDIA driver, CUDA, NVDEC or NVENC failed or is missing."""


class IoError(Error, OSError):
    """Reading or writing failed (disk full, closed pipe, ...)."""

    def __str__(self) -> str:
        return f"{self.subject}: {self.reason}" if self.subject else self.reason


_BY_CODE = {
    "invalid argument": InvalidArgumentError,
    "not found": NotFoundError,
    "invalid data": InvalidDataError,
    "unsupported": UnsupportedError,
    "limit exceeded": LimitExceededError,
    "out of memory": OutOfMemoryError,
    "driver missing": DriverError,
    "driver too old": DriverError,
    "cuda error": DriverError,
    "nvdec error": DriverError,
    "nvenc error": DriverError,
    "i/o error": IoError,
}


def error_class(code: str) -> type:
    """The exception class for an engine category (Error for ffmpeg and internal)."""
    return _BY_CODE.get(code, Error)
