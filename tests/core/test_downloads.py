"""core.downloads: exact bytes for every Range form, the ranges that are refused or ignored, and a
Content-Disposition that no file name can break."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import RequestFactory

from core.downloads import byte_range, content_disposition, file_response

# Every byte value, then a tail: an answer one byte short or long, or shifted, shows in the bytes.
DATA = bytes(range(256)) * 4 + b"the end"
SIZE = len(DATA)  # 1031


class StoredFile:
    """What file_response reads of a FileField's file: its name, size and storage."""

    def __init__(self, name, storage=default_storage):
        self.name, self.storage = name, storage

    @property
    def size(self):
        return self.storage.size(self.name)


@pytest.fixture
def stored():
    return StoredFile(default_storage.save("downloads/data.bin", ContentFile(DATA)))


def get(stored, range_header=None, filename="data.bin", **kwargs):
    headers = {"HTTP_RANGE": range_header} if range_header is not None else {}
    response = file_response(RequestFactory().get("/file", **headers), stored, filename=filename,
                             content_type="application/octet-stream", **kwargs)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


def assert_partial(response, body, start, end):
    assert response.status_code == 206
    assert body == DATA[start:end + 1]
    assert response["Content-Range"] == f"bytes {start}-{end}/{SIZE}"
    assert response["Content-Length"] == str(end - start + 1) == str(len(body))


def test_no_range_is_the_whole_file(stored):
    response, body = get(stored)
    assert response.status_code == 200 and body == DATA
    assert response["Content-Length"] == str(SIZE) and response["Accept-Ranges"] == "bytes"
    assert not response.has_header("Content-Range")


@pytest.mark.parametrize("header, start, end", [
    ("bytes=0-9", 0, 9),
    ("bytes=100-100", 100, 100),  # one byte
    ("bytes=1000-", 1000, SIZE - 1),  # from N to the last byte, inclusive
    ("bytes=0-", 0, SIZE - 1),
    (f"bytes={SIZE - 1}-", SIZE - 1, SIZE - 1),
    ("bytes=-7", SIZE - 7, SIZE - 1),  # the last N bytes
    ("bytes=-1", SIZE - 1, SIZE - 1),
    (f"bytes=-{SIZE + 50}", 0, SIZE - 1),  # more than the file: all of it
    ("bytes=1020-99999", 1020, SIZE - 1),  # an end past the end is clamped, and every byte up to it sent
    (f"bytes=0-{SIZE}", 0, SIZE - 1),
    ("bytes=5-" + "9" * 5000, 5, SIZE - 1),  # an end too long to be a number
    ("bytes=-" + "9" * 5000, 0, SIZE - 1),
    ("bytes=0007-0009", 7, 9),  # leading zeros
    (" bytes=3-4 ", 3, 4),
])
def test_a_single_range_is_206_with_exactly_its_bytes(stored, header, start, end):
    response, body = get(stored, header)
    assert_partial(response, body, start, end)


@pytest.mark.parametrize("header", [
    "bytes=-0",  # the last zero bytes
    f"bytes={SIZE}-",  # starts at the end
    f"bytes={SIZE + 10}-{SIZE + 20}",
    "bytes=" + "9" * 5000 + "-",  # a start too long to be a number is past any end
])
def test_an_unsatisfiable_range_is_416_naming_the_size(stored, header):
    response, body = get(stored, header)
    assert response.status_code == 416 and body == b""
    assert response["Content-Range"] == f"bytes */{SIZE}"


@pytest.mark.parametrize("header", [
    "bytes=0-1,5-6",  # several ranges: the whole file, not multipart/byteranges
    "bytes=0-1, 5-6",
    "bytes=9-3",  # ends before it starts: invalid, so ignored
    "bytes=",
    "bytes=-",
    "bytes=a-b",
    "bytes=1.5-3",
    "bytes=\u0661-\u0662",  # Arabic-Indic digits are not HTTP digits
    "items=0-5",
    "0-5",
    "bytes 0-5",
])
def test_a_range_header_that_is_not_one_byte_range_is_ignored(stored, header):
    response, body = get(stored, header)
    assert response.status_code == 200 and body == DATA
    assert response["Content-Length"] == str(SIZE) and not response.has_header("Content-Range")


def test_byte_range_reads_huge_numbers_without_converting_them():
    assert byte_range("bytes=" + "1" * 100_000 + "-", 10) == "unsatisfiable"
    assert byte_range("bytes=2-" + "1" * 100_000, 10) == (2, 9)
    assert byte_range("bytes=0-0", 0) == "unsatisfiable"  # an empty file has no byte 0


def test_an_empty_file_downloads_whole(settings):
    stored = StoredFile(default_storage.save("downloads/empty.bin", ContentFile(b"")))
    response, body = get(stored)
    assert response.status_code == 200 and body == b"" and response["Content-Length"] == "0"


# --- Content-Disposition --------------------------------------------------------------------------

@pytest.mark.parametrize("filename, header", [
    ("chair.ply", "attachment; filename=\"chair.ply\"; filename*=UTF-8''chair.ply"),
    ('my "best" chair.ply', "attachment; filename=\"my _best_ chair.ply\"; "
                            "filename*=UTF-8''my%20%22best%22%20chair.ply"),
    ("line\r\nSet-Cookie: a=b.ply", "attachment; filename=\"line__Set-Cookie: a=b.ply\"; "
                                    "filename*=UTF-8''line%0D%0ASet-Cookie%3A%20a%3Db.ply"),
    ("trailing newline\n", "attachment; filename=\"trailing newline_\"; filename*=UTF-8''trailing%20newline%0A"),
    ("back\\slash;tab\t.ply", "attachment; filename=\"back_slash;tab_.ply\"; "
                              "filename*=UTF-8''back%5Cslash%3Btab%09.ply"),
    ("Café à Zürich.glb", "attachment; filename=\"Cafe a Zurich.glb\"; "
                          "filename*=UTF-8''Caf%C3%A9%20%C3%A0%20Z%C3%BCrich.glb"),
    ("日本", "attachment; filename=\"download\"; filename*=UTF-8''%E6%97%A5%E6%9C%AC"),
    ("a/b.ply", "attachment; filename=\"a/b.ply\"; filename*=UTF-8''a%2Fb.ply"),
])
def test_content_disposition_holds_any_name_safely(filename, header):
    assert content_disposition(filename) == header
    assert content_disposition(filename, attachment=False) == header.replace("attachment", "inline", 1)


def test_a_name_with_line_breaks_and_quotes_downloads(stored):
    response, body = get(stored, filename='Dance\r\n"take 2".ply')
    assert response.status_code == 200 and body == DATA
    assert response["Content-Disposition"] == (
        "attachment; filename=\"Dance___take 2_.ply\"; filename*=UTF-8''Dance%0D%0A%22take%202%22.ply")
    inline, _ = get(stored, "bytes=0-0", filename="x\ny.jpg", attachment=False)
    assert inline.status_code == 206 and inline["Content-Disposition"].startswith('inline; filename="x_y.jpg"')
