"""The one error the media package raises: its message is meant for the person who uploaded the file, and the
numbers in it are written so that a refused value never reads as the limit."""


class MediaError(Exception):
    """A file was refused or could not be read.

    ``str(error)`` is a full sentence that says what is wrong and what to do about it, so callers can
    show it to the uploader as it is.
    """

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _number(value: float, digits: int) -> str:
    return f"{value:.{digits}f}".rstrip("0").rstrip(".") if digits else str(round(value))


def two_numbers(actual: float, limit: float) -> tuple[str, str]:
    """Both values rounded alike, with just enough decimals that a refused value never reads as the limit."""
    for digits in range(0, 4):
        a, b = _number(actual, digits), _number(limit, digits)
        if a != b:
            return a, b
    return repr(actual), repr(limit)
