"""core.names: a name is one line of visible text; the message says what to remove and where."""

import pytest
from django.core.exceptions import ValidationError

from core.names import validate_name


@pytest.mark.parametrize("name", ["Chair", "Café à Zürich", "日本の椅子", "Family 👨‍👩‍👧 at home",
                                  'My "best" take', "a/b\\c", "  padded  "])
def test_names_people_write_are_accepted(name):
    validate_name(name)


@pytest.mark.parametrize("name, what", [
    ("a\nb", "a line break (U+000A) at character 2"),
    ("\rb", "a carriage return (U+000D) at character 1"),
    ("a\tb", "a tab (U+0009) at character 2"),
    ("a\x00", "a NUL character (U+0000) at character 2"),
    ("a\x1b[31m", "an invisible control character (U+001B) at character 2"),
    ("a\x7f", "an invisible control character (U+007F) at character 2"),
    ("a\x85", "an invisible control character (U+0085) at character 2"),
    ("a\u2028b", "a line separator (U+2028) at character 2"),
    ("a\u2029b", "a paragraph separator (U+2029) at character 2"),
    ("photo\u202egpj.exe", "an invisible control character (U+202E) at character 6"),
    ("\u2066x", "an invisible control character (U+2066) at character 1"),
])
def test_control_characters_are_refused_saying_which_and_where(name, what):
    with pytest.raises(ValidationError) as refused:
        validate_name(name)
    assert refused.value.messages == [
        f"The name contains {what}. Names must be one line of visible text: remove it and try again."]
    assert refused.value.code == "control_character"

