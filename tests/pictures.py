"""Pictures made in the tests: a huge picture in a tiny file, for the pixel limit."""

import functools
import struct
import zlib


def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@functools.cache
def black_png(width, height):
    """A complete, valid greyscale PNG of width×height black pixels. All black compresses about a
    thousandfold, so 9400×9400 (88 megapixels) is a file of about 90 KB; decoding it takes 88 MB."""
    compressor = zlib.compressobj(9)
    row = b"\x00" * (width + 1)  # the filter byte (none) and one byte per pixel
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")
