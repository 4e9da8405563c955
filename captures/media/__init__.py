"""Pure media handling for uploads: probing, limits, previews and image-set archives (no Django here)."""

from .archive import extract_images
from .errors import MediaError
from .preview import make_preview
from .probe import MediaInfo, check_limits, probe

__all__ = ["MediaError", "MediaInfo", "check_limits", "extract_images", "make_preview", "probe"]
