"""What a name people give things (a capture, an item, a scene, a person) may hold: one line of text.

A name travels into file names, download headers, e-mails and log lines, where a line break or an invisible
control character breaks or disguises what follows. `validate_name` is the one check every door's
serializer and every dashboard form runs (as a Django validator, which DRF fields also accept).
"""

import unicodedata

from django.core.exceptions import ValidationError

# Characters that change how text is laid out rather than adding to it: direction overrides and isolates,
# which can make "photo\u202egpj.exe" read as "photoexe.jpg".
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
NAMED = {"\n": "a line break", "\r": "a carriage return", "\t": "a tab", "\x00": "a NUL character",
         "\u2028": "a line separator", "\u2029": "a paragraph separator"}


def is_control(ch):
    """Control characters (C0, DEL, C1), Unicode line and paragraph separators, and bidi overrides."""
    return unicodedata.category(ch) in ("Cc", "Zl", "Zp") or ch in BIDI_CONTROLS


def validate_name(value):
    """Refuses a name holding a control character, saying which one and where."""
    for position, ch in enumerate(value, start=1):
        if is_control(ch):
            what = NAMED.get(ch, "an invisible control character")
            raise ValidationError(
                f"The name contains {what} (U+{ord(ch):04X}) at character {position}. "
                "Names must be one line of visible text: remove it and try again.",
                code="control_character")

