"""core.parsers: nesting is measured without recursion, and bounded."""

import io

import pytest
from rest_framework.exceptions import ParseError

from core.parsers import MAX_DEPTH, JSONParser, nesting_depth


@pytest.mark.parametrize("value, depth", [
    (1, 0), ("text", 0), ([], 1), ({}, 1), ([1, [2, [3]]], 3), ({"a": [{"b": 1}], "c": 2}, 3),
])
def test_nesting_depth(value, depth):
    assert nesting_depth(value) == depth


def parse(text):
    return JSONParser().parse(io.BytesIO(text.encode()), "application/json", {})


def test_the_parser_takes_the_bound_and_refuses_one_more_level():
    assert parse("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
    with pytest.raises(ParseError, match="nested more than 32 levels deep"):
        parse("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))
    with pytest.raises(ParseError, match="nested more than 32 levels deep"):
        parse("[" * 1_000_000 + "]" * 1_000_000)
