"""The one error the media package raises: its message is meant for the person who uploaded the file."""


class MediaError(Exception):
    """A file was refused or could not be read.

    ``str(error)`` is a full sentence that says what is wrong and what to do about it, so callers can
    show it to the uploader as it is.
    """

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
