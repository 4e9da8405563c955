"""What a capture's bytes are: seed 004's input_data_format told from the file itself.

Light on purpose (the standard library only): the web process imports it, the reconstruction's
heavy packages stay in the worker.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

# Seed 004's input_data_format values (captures.models.Capture.Format has the same strings).
VIDEO, BULK_IMAGES, COMMONFORMAT_IOS = "video", "bulk-images", "commonformat-ios"
# The phone's poses: looked for in this order; the one nearest the archive's root wins.
TRANSFORMS_NAMES = ("transforms.json", "transforms_train.json")
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # an archive's first entry; an empty archive


def detect_format(source, declared: str = "") -> str:
    """The input_data_format a capture's bytes are, given what the client declared ("" when it said nothing).

    A zip (magic "PK\\x03\\x04") is commonformat-ios when it holds a transforms.json, else bulk-images;
    anything else is taken for a video (probing it says later whether it is one). A declared video or
    bulk-images is kept as declared; a declared commonformat-ios stays so for any zip, with or without
    poses (reconstruction then notes their absence), and is a video when the bytes are one: for the
    seed, an omitted format *is* commonformat-ios, so a phone app sending a video may declare it.
    `source` is a path or a binary file object (read from its start, and left at its start).
    """
    if declared in (VIDEO, BULK_IMAGES):
        return declared
    if not _is_zip(source):
        return VIDEO
    if declared == COMMONFORMAT_IOS:
        return COMMONFORMAT_IOS
    try:
        with _open_zip(source) as archive:
            return COMMONFORMAT_IOS if transforms_entry(archive) is not None else BULK_IMAGES
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return BULK_IMAGES  # a damaged archive: extracting it says what is wrong


def _is_zip(source) -> bool:
    if isinstance(source, str | Path):
        with open(source, "rb") as handle:
            head = handle.read(4)
    else:
        source.seek(0)
        head = source.read(4)
        source.seek(0)
    return head in ZIP_MAGIC


class _open_zip:
    def __init__(self, source):
        self.source = source

    def __enter__(self):
        self.archive = zipfile.ZipFile(self.source)
        return self.archive

    def __exit__(self, *exc):
        self.archive.close()
        if not isinstance(self.source, str | Path):
            self.source.seek(0)


def transforms_entry(archive: zipfile.ZipFile) -> zipfile.ZipInfo | None:
    candidates = []
    for info in archive.infolist():
        parts = path_parts(info.filename)
        if info.is_dir() or not parts or any(p.startswith(".") or p == "__MACOSX" for p in parts):
            continue
        if parts[-1].lower() in TRANSFORMS_NAMES:
            candidates.append((TRANSFORMS_NAMES.index(parts[-1].lower()), len(parts), info.filename, info))
    return min(candidates, key=lambda c: c[:3])[3] if candidates else None


def path_parts(name: str) -> list[str]:
    return [p for p in name.replace("\\", "/").split("/") if p not in ("", ".", "..")]
