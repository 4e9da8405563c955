"""Image sets uploaded as a .zip: the photos come out, flattened into one folder, and nothing else does.

Entry names, declared sizes and even file contents come from the uploader, so none of them is
trusted: names are rebuilt from safe characters, sizes are checked before and while extracting, and
every extracted file must open as a real image.
"""

from __future__ import annotations

import logging
import re
import stat
import struct
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from .errors import MediaError
from .images import TooManyPixels
from .probe import probe_image, two_sizes

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png"}
_SUFFIX_FOR_FORMAT = {"jpeg": ".jpg", "png": ".png"}
CHUNK = 1024 * 1024
# Entries smaller than this cannot hurt whatever their ratio; a tiny flat-colour PNG compresses well.
RATIO_FLOOR_BYTES = 1024 * 1024
MAX_NAME_CHARS = 120
# What a set of photos may be, however it arrives (a .zip, or photos picked one by one).
MAX_PHOTOS = 5000
MAX_PHOTO_BYTES = 20 * 1024**3


def extract_images(zip_path, dest_dir, *, max_files: int = MAX_PHOTOS, max_total_bytes: int = MAX_PHOTO_BYTES,
                   max_ratio: float = 200, max_pixels: int | None = None) -> list[Path]:
    """Extracts the .jpg/.jpeg/.png photos of `zip_path` into `dest_dir` (flat, unique, safe names) and
    returns their paths in the archive's natural order. Other files, folders, dotfiles, __MACOSX/,
    symlinks and encrypted entries are ignored; files that are not really images are dropped.

    Raises MediaError when the file is not a zip, holds no readable image, or breaks a limit: more than
    `max_files` photos, more than `max_total_bytes` once extracted, or an entry that expands more than
    `max_ratio` times its compressed size (a zip bomb), or a photo with more than `max_pixels` pixels
    (None: the configured limit, see media.images), found from its header before it is decoded.
    """
    return [path for _, path in _extract(zip_path, dest_dir, max_files, max_total_bytes, max_ratio, max_pixels)]


def extract_named_images(zip_path, dest_dir, *, max_files: int = MAX_PHOTOS,
                         max_total_bytes: int = MAX_PHOTO_BYTES,
                         max_ratio: float = 200, max_pixels: int | None = None) -> dict[str, Path]:
    """extract_images, answering {entry name in the archive: extracted path} in the archive's natural order,
    so that a file inside the archive that names its photos (a transforms.json) can find them."""
    return dict(_extract(zip_path, dest_dir, max_files, max_total_bytes, max_ratio, max_pixels))


def _extract(zip_path, dest_dir, max_files: int, max_total_bytes: int, max_ratio: float,
             max_pixels: int | None) -> list[tuple[str, Path]]:
    zip_path, dest_dir = Path(zip_path), Path(dest_dir)
    _check_entry_count(zip_path, max_entries=4 * max_files + 1000)
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise MediaError("This file is not a ZIP archive, or it is damaged. Upload a .zip of your .jpg or .png "
                         "photos.")
    with archive:
        entries = sorted((info for info in archive.infolist() if _is_photo_entry(info)),
                         key=lambda info: _natural_key(info.filename))
        if not entries:
            raise MediaError("The archive contains no .jpg or .png photos (folders inside it are searched, other "
                             "files are ignored). Zip the photos themselves and upload again.")
        if len(entries) > max_files:
            raise MediaError(f"The archive holds {len(entries)} photos; the limit is {max_files}.")
        declared = sum(info.file_size for info in entries)
        if declared > max_total_bytes:
            actual, limit = two_sizes(declared, max_total_bytes)
            raise MediaError(f"The photos in the archive add up to {actual}; the limit is {limit}.")
        for info in entries:
            _check_ratio(info.filename, info.file_size, info.compress_size, max_ratio)

        dest_dir.mkdir(parents=True, exist_ok=True)
        written: list[Path] = []
        kept: list[tuple[str, Path]] = []
        taken = {p.name.lower() for p in dest_dir.iterdir()}
        total = 0
        try:
            for info in entries:
                target = dest_dir / _unique(_flat_name(info.filename), taken)
                written.append(target)
                try:
                    total += _copy(archive, info, target, total, max_total_bytes, max_ratio)
                except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, EOFError) as exc:
                    # A damaged or oddly compressed entry is one bad photo, not a bad set.
                    log.info("archive: dropping %r (%s)", info.filename, exc)
                    target.unlink(missing_ok=True)
                    continue
                photo = _verified(target, taken, info.filename, max_pixels)
                if photo is not None:
                    kept.append((info.filename, photo))
                    written.append(photo)
        except BaseException:
            # A refused archive leaves none of its files behind.
            for path in written:
                path.unlink(missing_ok=True)
            raise
    if not kept:
        raise MediaError(f"None of the {len(entries)} .jpg/.png files in the archive is a readable image. "
                         "Zip the original photos and upload again.")
    if len(kept) < len(entries):
        log.info("archive: kept %d of %d photo entries", len(kept), len(entries))
    return kept


def is_photo_name(name: str) -> bool:
    """Whether a file's name (a path inside a folder is fine) is one a set of photos takes: .jpg, .jpeg, .png."""
    parts = _parts(name)
    return bool(parts) and PurePosixPath(parts[-1]).suffix.lower() in IMAGE_SUFFIXES


def pack_photos(stream, photos, dest) -> int:
    """Photos sent one after another as one stream (a multi-file upload), packed into the zip `dest`.

    `photos` is [(name, size)] in the stream's order; a name may hold folders ("scan/IMG_1.jpg"). Entries are
    stored, not compressed (photos barely compress), under their names made unique, so the archive reads as one
    the person zipped themselves: extract_images then checks every photo as it checks theirs. Raises MediaError
    when the stream holds fewer bytes than the sizes add up to. Returns the number of photos packed.
    """
    taken: set[str] = set()
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for index, (name, size) in enumerate(photos, start=1):
            entry = "/".join(_parts(name)) or f"photo-{index}.jpg"
            if entry.lower() in taken:  # the same name from two folders, or picked twice
                stem, dot, suffix = entry.rpartition(".")
                entry = f"{stem or suffix}-{index}{dot}{suffix if stem else ''}"
            taken.add(entry.lower())
            info = zipfile.ZipInfo(entry, date_time=(1980, 1, 1, 0, 0, 0))
            left = size
            with archive.open(info, "w", force_zip64=size >= 2**31) as target:
                while left and (chunk := stream.read(min(CHUNK, left))):
                    target.write(chunk)
                    left -= len(chunk)
            if left:
                raise MediaError(f"The upload ended inside the photo {PurePosixPath(entry).name!r}: "
                                 f"{left:,} of its {size:,} bytes are missing. Upload the photos again.")
    return len(photos)


def _is_photo_entry(info: zipfile.ZipInfo) -> bool:
    if info.is_dir() or info.flag_bits & 0x1:  # folders; encrypted entries cannot be read anyway
        return False
    if stat.S_ISLNK(info.external_attr >> 16):
        return False
    parts = _parts(info.filename)
    if not parts or any(p.startswith(".") or p == "__MACOSX" for p in parts):
        return False  # dotfiles and macOS resource forks ("__MACOSX/._IMG_1.jpg") are not photos
    return is_photo_name(info.filename)


def _parts(name: str) -> list[str]:
    # Both slashes separate folders (Windows tools write backslashes); "", "." and ".." are dropped, so
    # "../../x.jpg" and "/x.jpg" both become plain "x.jpg".
    return [p for p in name.replace("\\", "/").split("/") if p not in ("", ".", "..")]


def _natural_key(name: str):
    return [(0, int(part), "") if part.isdigit() else (1, 0, part.lower()) for part in re.split(r"(\d+)", name)]


def _flat_name(name: str) -> str:
    """"Scan 1/left side/IMG 0001.JPG" -> "Scan_1_left_side_IMG_0001.jpg": folders joined into one safe name."""
    parts = _parts(name)
    stem_parts = parts[:-1] + [PurePosixPath(parts[-1]).stem]
    clean = [re.sub(r"[^A-Za-z0-9-]+", "_", p).strip("_") for p in stem_parts]
    stem = "_".join(p for p in clean if p)[-MAX_NAME_CHARS:].lstrip("_-") or "image"
    suffix = PurePosixPath(parts[-1]).suffix.lower()
    return stem + (".jpg" if suffix == ".jpeg" else suffix)


def _unique(name: str, taken: set[str]) -> str:
    """`name`, or name-2, name-3 ... : compared without case, as on macOS and Windows disks."""
    stem, suffix = name.rsplit(".", 1)
    candidate, n = name, 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{stem}-{n}.{suffix}"
    taken.add(candidate.lower())
    return candidate


def _check_ratio(name: str, size: int, compressed: int, max_ratio: float) -> None:
    if size > RATIO_FLOOR_BYTES and size > max_ratio * max(compressed, 1):
        ratio = size / max(compressed, 1)
        raise MediaError(f"The archive was refused: {PurePosixPath(_parts(name)[-1]).name!r} expands to "
                         f"{ratio:.0f} times its compressed size (the limit is {max_ratio:g}), as zip bombs do. "
                         "Photos barely compress; zip the original photos and upload again.")


def _copy(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, total: int, max_total: int,
          max_ratio: float) -> int:
    """Streams one entry to `target` in chunks, re-checking the limits on the bytes actually produced
    (declared sizes are only the uploader's word). Returns the bytes written."""
    count = 0
    # "xb" never follows or overwrites anything already at `target`.
    with archive.open(info) as src, open(target, "xb") as dst:
        while chunk := src.read(CHUNK):
            count += len(chunk)
            if total + count > max_total:
                actual, limit = two_sizes(total + count, max_total)
                raise MediaError(f"The photos in the archive add up to more than {actual}; the limit is {limit}.")
            _check_ratio(info.filename, count, info.compress_size, max_ratio)
            dst.write(chunk)
    return count


def _verified(path: Path, taken: set[str], entry: str, max_pixels: int | None) -> Path | None:
    """The path of a real JPEG/PNG (renamed when its extension lied), or None after deleting a non-image.
    A photo with too many pixels refuses the whole set: dropping it would leave a gap nobody asked for."""
    try:
        info = probe_image(path, max_pixels=max_pixels)
    except TooManyPixels as exc:
        name = PurePosixPath(_parts(entry)[-1]).name
        raise TooManyPixels(exc.width, exc.height, exc.max_pixels, subject=f"The photo {name!r} in the archive",
                            advice="Resize the photos that large and zip them again.") from exc
    except MediaError:
        info = None
    if info is None or info.format not in _SUFFIX_FOR_FORMAT:
        log.info("archive: dropping %s, not a readable JPEG or PNG", path.name)
        path.unlink(missing_ok=True)
        return None
    suffix = _SUFFIX_FOR_FORMAT[info.format]
    if path.suffix != suffix:
        renamed = path.with_name(_unique(path.stem + suffix, taken))
        path.rename(renamed)
        return renamed
    return path


def _check_entry_count(path: Path, max_entries: int) -> None:
    """Refuses archives listing absurdly many entries before zipfile loads its whole directory in memory.

    The count comes from the end-of-central-directory record (or its ZIP64 version); when it cannot be
    found the file is left to zipfile, which will refuse it.
    """
    try:
        with open(path, "rb") as f:
            size = f.seek(0, 2)
            tail_len = min(size, 22 + 65535)  # the record is 22 bytes plus a comment of up to 64 KiB
            f.seek(size - tail_len)
            tail = f.read(tail_len)
            at = tail.rfind(b"PK\x05\x06")
            if at < 0 or len(tail) - at < 22:
                return
            (count,) = struct.unpack_from("<H", tail, at + 10)
            if count == 0xFFFF and at >= 20 and tail[at - 20: at - 16] == b"PK\x06\x07":
                (offset,) = struct.unpack_from("<Q", tail, at - 20 + 8)
                f.seek(offset)
                record = f.read(56)
                if record[:4] == b"PK\x06\x06":
                    (count,) = struct.unpack_from("<Q", record, 32)
    except OSError:
        return
    if count > max_entries:
        raise MediaError(f"The archive lists {count} files; at most {max_entries} are accepted. "
                         "Upload fewer photos per archive.")
