"""Pure media code shared by every domain (no Django): probing, limits, opening images safely, decoding,
previews and image-set archives."""

from .archive import extract_images
from .errors import MediaError
from .images import NotAnImage, TooManyPixels, open_image
from .preview import make_preview
from .probe import MediaInfo, check_limits, probe

__all__ = ["MediaError", "MediaInfo", "NotAnImage", "TooManyPixels", "check_limits", "extract_images", "make_preview",
           "open_image", "probe"]
