"""Streams a stored file to a client, honouring HTTP Range so large downloads can resume.

Range (RFC 9110 §14): one range is served as 206 with exactly the bytes asked for — `bytes=N-` to the end,
`bytes=-N` the last N bytes, an end past the file's end clamped to it. A range that starts at or past the
end, or `bytes=-0`, is unsatisfiable: 416 with `Content-Range: bytes */<size>`. Anything else is ignored and
the whole file is served as 200, as RFC 9110 lets a server do: headers that are not one `bytes=` range
(malformed, another unit, or several ranges: multipart/byteranges is not served), and a range whose end
comes before its start (which RFC 9110 calls invalid).

Content-Disposition (RFC 6266): `filename*` carries the exact name (UTF-8, percent-encoded) and `filename`
an ASCII fallback for clients that do not read `filename*`; neither can hold a quote, a backslash or a line
break, whatever the stored name holds.
"""

import re
import unicodedata
from urllib.parse import quote

from django.http import Http404, HttpResponse, StreamingHttpResponse

CHUNK = 1024 * 1024
RANGE = re.compile(r"bytes=(\d*)-(\d*)", re.ASCII)
UNSATISFIABLE = "unsatisfiable"


def _read(handle, start, length):
    handle.seek(start)
    remaining = length
    try:
        while remaining > 0:
            chunk = handle.read(min(CHUNK, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk
    finally:
        handle.close()


def _position(digits, size):
    """A byte position as written in the header, capped at `size`: a number longer than any file has no
    need to be converted (and Python refuses to convert one of more than 4300 digits)."""
    digits = digits.lstrip("0") or "0"
    return size if len(digits) > len(str(size)) else min(int(digits), size)


def byte_range(header, size):
    """(start, end) inclusive for a single-range header; None to serve the whole file; or UNSATISFIABLE."""
    match = RANGE.fullmatch((header or "").strip())
    if not match:
        return None
    first, last = match.groups()
    if first == "" and last == "":
        return None
    if first == "":  # the last N bytes; more than the file is the whole file
        length = _position(last, size)
        if length == 0:
            return UNSATISFIABLE
        return size - length, size - 1
    start = _position(first, size)
    if last and _position(last, size) < start:
        return None  # invalid (RFC 9110 §14.1.1): ignored
    if start >= size:
        return UNSATISFIABLE
    end = min(_position(last, size), size - 1) if last else size - 1
    return start, end


def ascii_filename(filename):
    """A fallback `filename` for old clients: accents dropped, other non-ASCII characters left out, and
    quotes, backslashes and control characters replaced by "_"."""
    decomposed = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    safe = "".join("_" if ch in '"\\' or not " " <= ch <= "~" else ch for ch in decomposed).strip()
    return safe or "download"


def content_disposition(filename, *, attachment=True):
    """RFC 6266 `attachment` or `inline`, with the ASCII fallback first and the exact name in `filename*`."""
    disposition = "attachment" if attachment else "inline"
    return f"{disposition}; filename=\"{ascii_filename(filename)}\"; filename*=UTF-8''{quote(filename, safe='')}"


def file_response(request, field_file, *, filename, content_type, attachment=True):
    """Raises Http404 when the row is there but storage lost the file (a 404 in every door's shape)."""
    try:
        size = field_file.size
    except FileNotFoundError as exc:
        raise Http404("This file is no longer in storage.") from exc
    headers = {"Accept-Ranges": "bytes", "Content-Disposition": content_disposition(filename, attachment=attachment)}
    wanted = byte_range(request.headers.get("Range"), size)
    if wanted == UNSATISFIABLE:
        return HttpResponse(status=416, headers={**headers, "Content-Range": f"bytes */{size}"})
    start, end, status = (0, size - 1, 200) if wanted is None else (*wanted, 206)
    length = max(0, end - start + 1)
    handle = field_file.storage.open(field_file.name, "rb")
    response = StreamingHttpResponse(_read(handle, start, length), status=status, content_type=content_type,
                                     headers=headers)
    response["Content-Length"] = str(length)
    if status == 206:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    return response
