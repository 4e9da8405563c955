"""The avatar studio's models, one module per part of the domain."""

from .generations import Generation  # noqa: F401
