"""The avatar studio's models, one module per part of the domain."""

from .clothes import Garment

__all__ = ["Garment"]
