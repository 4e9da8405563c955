"""Streams a stored file to a client, honouring HTTP Range so large downloads can resume."""

import re
from urllib.parse import quote

from django.http import Http404, HttpResponse, StreamingHttpResponse

CHUNK = 1024 * 1024
RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


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


def byte_range(header, size):
    """(start, end) inclusive for a single-range header, None for no/unsupported range, or 'unsatisfiable'."""
    match = RANGE.match((header or "").strip())
    if not match:
        return None
    first, last = match.groups()
    if first == "" and last == "":
        return None
    if first == "":  # the last N bytes
        length = int(last)
        if length == 0:
            return "unsatisfiable"
        return max(0, size - length), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        return "unsatisfiable"
    return start, end


def file_response(request, field_file, *, filename, content_type, attachment=True):
    """Raises Http404 when the row is there but storage lost the file (a 404 in every door's shape)."""
    try:
        size = field_file.size
    except FileNotFoundError as exc:
        raise Http404("This file is no longer in storage.") from exc
    disposition = "attachment" if attachment else "inline"
    ascii_name = filename.encode("ascii", "ignore").decode() or "download"
    headers = {
        "Accept-Ranges": "bytes",
        "Content-Disposition": f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}",
    }
    wanted = byte_range(request.headers.get("Range"), size)
    if wanted == "unsatisfiable":
        response = HttpResponse(status=416, headers={**headers, "Content-Range": f"bytes */{size}"})
        return response
    start, end, status = (0, size - 1, 200) if wanted is None else (*wanted, 206)
    length = max(0, end - start + 1)
    handle = field_file.storage.open(field_file.name, "rb")
    response = StreamingHttpResponse(_read(handle, start, length), status=status, content_type=content_type,
                                     headers=headers)
    response["Content-Length"] = str(length)
    if status == 206:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    return response
