"""External ids as clients send them: the one place a string becomes a UUID."""

import uuid


def parse_uuid(value):
    """The UUID `value` spells, or None for anything else (malformed ids read as unknown ones)."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (ValueError, AttributeError, TypeError):
        return None
