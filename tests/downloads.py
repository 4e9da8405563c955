"""Range requests every file route must answer byte for byte (core.downloads serves them all)."""

# Every byte value, then a tail: an answer one byte short or long, or shifted, shows in the bytes.
DATA = bytes(range(256)) * 2 + b"the last bytes"
SIZE = len(DATA)

# (Range header, status, first byte, last byte): 206 serves DATA[first:last + 1]; 200 all of DATA; 416 nothing.
RANGE_CASES = [
    (f"bytes={SIZE - 20}-", 206, SIZE - 20, SIZE - 1),  # from N to the end, the last byte included
    ("bytes=-9", 206, SIZE - 9, SIZE - 1),  # the last N bytes
    (f"bytes=100-{SIZE + 1000}", 206, 100, SIZE - 1),  # an end past the end: clamped, and every byte sent
    ("bytes=10-19", 206, 10, 19),
    ("bytes=-0", 416, None, None),
    (f"bytes={SIZE}-", 416, None, None),
    ("bytes=0-1,5-6", 200, 0, SIZE - 1),  # several ranges: the whole file
    ("bytes=9-3", 200, 0, SIZE - 1),  # malformed ones are ignored
    ("bytes=one-two", 200, 0, SIZE - 1),
    ("bytes=" + "9" * 5000 + "-", 416, None, None),  # a position too long to convert
]


def body_of(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def assert_range_downloads(get, data=DATA):
    """`get(range_header)` answers a response for the route that serves `data`; each case must be exact."""
    size = len(data)
    assert size == SIZE
    for header, status, first, last in RANGE_CASES:
        response = get(header)
        body = body_of(response)
        assert response.status_code == status, (header, response.status_code, body[:200])
        if status == 416:
            assert response["Content-Range"] == f"bytes */{size}", header
            continue
        assert body == data[first:last + 1], header
        assert response["Content-Length"] == str(last - first + 1), header
        if status == 206:
            assert response["Content-Range"] == f"bytes {first}-{last}/{size}", header
        else:
            assert not response.has_header("Content-Range"), header
