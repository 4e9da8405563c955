"""Pure media code shared by every domain (no Django): probing, limits, decoding, previews and image-set archives."""

from .archive import extract_images
from .errors import MediaError
from .preview import make_preview
from .probe import MediaInfo, check_limits, probe

__all__ = ["MediaError", "MediaInfo", "check_limits", "extract_images", "make_preview", "probe"]
