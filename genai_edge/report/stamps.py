"""Stamps: what each report's HTML was built from, and whether it is up to date.

``OUT/<scenario>/<stem>.stamp`` is a JSON object with the report's key (a
hash of every input, `report_key`) and the sha256 of the HTML it describes.
A report is up to date only when both match: an HTML page replaced by one
built from other inputs, or a stamp left from another build, is rebuilt.
`write_report` writes the pair so that a reader never sees a stamp beside
an HTML page it does not describe.
"""
from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path

from ..files import atomic_path, atomic_write
from .notebooks import PACKAGE_DIR

STAMP_SCHEMA = 2                 # bump to invalidate every stamp
KERNEL_NAME = "python3"


def package_digest(root: str | os.PathLike = PACKAGE_DIR) -> str:
    """sha256 over every file of the package (code and data), by relative path.

    Caches (``__pycache__``, ``*.pyc``) and hidden files are ignored.
    """
    root = Path(root)
    h = hashlib.sha256()
    for f in sorted(root.rglob("*")):
        rel = f.relative_to(root)
        if (not f.is_file() or "__pycache__" in rel.parts or f.suffix == ".pyc"
                or any(part.startswith(".") for part in rel.parts)):
            continue
        data = f.read_bytes()
        h.update(f"{rel.as_posix()}\0{len(data)}\0".encode())
        h.update(data)
    return h.hexdigest()


def report_key(scenario_yaml: str, overrides: Mapping[str, str] | None, notebook_digest: str,
               package: str, kernel_name: str = KERNEL_NAME) -> str:
    """The stamp of one report: a hash of everything its HTML depends on."""
    parts = {
        "schema": STAMP_SCHEMA,
        "scenario_yaml": scenario_yaml,
        "overrides": dict(sorted((overrides or {}).items())),
        "notebook": notebook_digest,
        "package": package,
        "kernel": kernel_name,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def read_json(path: Path) -> dict:
    """A JSON object from ``path``; ``{}`` when it is missing or not JSON."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def describes(stamp_path: Path, html_path: Path) -> bool:
    """True when the stamp at ``stamp_path`` was written for the HTML at ``html_path``."""
    digest = read_json(stamp_path).get("html_sha256")
    return digest is not None and digest == _sha256(html_path)


def up_to_date(html_path: Path, stamp_path: Path, key: str) -> bool:
    """The HTML exists, its stamp describes it, and it was built from the inputs ``key``."""
    return read_json(stamp_path).get("key") == key and describes(stamp_path, html_path)


def write_report(html_path: Path, stamp_path: Path, page: bytes, fields: Mapping) -> None:
    """Write an HTML page and its stamp (``fields`` plus the page's sha256).

    The page is written to a temporary file first; once it is complete the
    old stamp is removed, the page renamed into place and the new stamp
    written, each atomically: at every moment the stamp beside the page
    describes it, or there is no stamp (and the report is rebuilt on the
    next run). A failure while writing the page (disk full) leaves the old
    page and stamp as they were.
    """
    stamp = {**fields, "html_sha256": hashlib.sha256(page).hexdigest()}
    with atomic_path(html_path) as tmp:
        with open(tmp, "wb") as fh:          # on disk (disk full shows here) before the stamp goes
            fh.write(page)
            fh.flush()
            os.fsync(fh.fileno())
        Path(stamp_path).unlink(missing_ok=True)
    atomic_write(stamp_path, json.dumps(stamp, indent=1) + "\n")
