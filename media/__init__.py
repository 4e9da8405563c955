"""Pure media code shared by every domain (no Django): probing, limits, opening images safely, decoding,
previews, image-set archives and mp4 writing."""

from .archive import extract_images
from .errors import MediaError
from .images import NotAnImage, TooManyPixels, open_image
from .preview import make_preview
from .probe import MediaInfo, check_limits, probe
from .video import write_video

__all__ = ["MediaError", "MediaInfo", "NotAnImage", "TooManyPixels", "check_limits", "extract_images", "make_preview",
           "open_image", "probe", "write_video"]
