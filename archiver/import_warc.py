"""Bringing WARC files made by other tools (wget, pywb, our own) into an archive.

The files go into DATA/warc/ first (copied, or symlinked with ``copy=False``)
and are then read by `archiver.reextract.reextract`, so every capture row
names a file that lives beside the archive and its offsets resolve there.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .reextract import ReextractCounts, reextract, warc_files
from .store import Store
from .warcfile import sha256_file

logger = logging.getLogger(__name__)

__all__ = ["ImportResult", "import_warcs", "place_warc"]


@dataclass
class ImportResult:
    files: list[Path] = field(default_factory=list)  # as placed in DATA/warc/
    copied: int = 0
    linked: int = 0
    already_there: int = 0
    counts: ReextractCounts = field(default_factory=ReextractCounts)


def import_warcs(paths: Iterable[Path], data_dir: Path, store: Store, crawl_id: int | None,
                 *, copy: bool = True) -> ImportResult:  # fmt: skip
    """Place each WARC in `paths` (files or directories) into DATA/warc/ and extract its threads."""
    sources = warc_files(list(paths))
    target_dir = data_dir / "warc"
    target_dir.mkdir(parents=True, exist_ok=True)
    result = ImportResult()
    for source in sources:
        placed, how = place_warc(source, target_dir, copy=copy)
        result.files.append(placed)
        if how == "copied":
            result.copied += 1
        elif how == "linked":
            result.linked += 1
        else:
            result.already_there += 1
    result.counts = reextract(result.files, store, crawl_id)
    return result


def place_warc(source: Path, target_dir: Path, *, copy: bool = True) -> tuple[Path, str]:
    """Put `source` into `target_dir`; return its path there and "copied", "linked" or "present".

    The name is kept (``.open`` dropped); a different file already holding the
    name gets the new one as ``NAME-2.warc.gz`` and so on. A file already there
    with the same content is not copied again.
    """
    name = source.name.removesuffix(".open")
    if source.resolve().parent == target_dir.resolve() and source.name == name:
        return source, "present"
    stem, ext = _split_name(name)
    for n in range(1, 10_000):
        target = target_dir / (name if n == 1 else f"{stem}-{n}{ext}")
        if not target.exists() and not target.is_symlink():
            break
        if _same_file(source, target):
            logger.info("%s is already in the archive as %s", source, target.name)
            return target, "present"
    else:  # pragma: no cover - ten thousand files of one name
        raise FileExistsError(f"{target_dir}: too many files named like {name}")
    if copy:
        shutil.copyfile(source, target)
        return target, "copied"
    os.symlink(source.resolve(), target)
    return target, "linked"


def _split_name(name: str) -> tuple[str, str]:
    for ext in (".warc.gz", ".warc", ".arc.gz", ".arc"):
        if name.endswith(ext):
            return name[: -len(ext)], ext
    stem, dot, ext = name.rpartition(".")
    return (stem, dot + ext) if dot else (name, "")


def _same_file(a: Path, b: Path) -> bool:
    if a.resolve() == b.resolve():
        return True
    if a.stat().st_size != b.stat().st_size:
        return False
    return sha256_file(a) == sha256_file(b)

