"""Files written atomically: readers see the old file or the new one, never half of one."""
from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_path", "atomic_write", "TEMP_SUFFIX"]

TEMP_SUFFIX = ".tmp"             # temporary files are ``.<name>.<random>.tmp`` beside the target


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _naming(path: Path, exc: OSError) -> OSError:
    """``exc`` naming ``path`` (not the temporary file), same type and errno."""
    if exc.filename == str(path):
        return exc
    return type(exc)(exc.errno, exc.strerror or str(exc), str(path))


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """A temporary path beside ``path`` that is renamed over ``path`` on success.

    The caller writes the temporary file (any writer that takes a path, e.g.
    ``DataFrame.to_parquet``); on leaving the block it is flushed to disk and
    renamed over ``path`` with ``os.replace``. On any error or interruption
    the temporary file is removed and ``path`` is untouched. An ``OSError``
    names ``path``.
    """
    path = Path(path)
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX)
        os.close(fd)
        yield Path(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise _naming(path, exc) from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def atomic_write(path: str | os.PathLike, data: str | bytes, encoding: str = "utf-8") -> Path:
    """Write ``data`` (text or bytes) to ``path`` atomically (see `atomic_path`)."""
    payload = data.encode(encoding) if isinstance(data, str) else data
    with atomic_path(path) as tmp:
        tmp.write_bytes(payload)
    return Path(path)
