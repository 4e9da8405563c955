"""The avatar studio's models, one module per part of the domain."""

from .clothes import Garment
from .generations import Generation

__all__ = ["Garment", "Generation"]
