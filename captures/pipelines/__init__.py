"""The captures app's pipelines, one registration module each; importing this package registers them."""

from . import gaussian_splatting, preview  # noqa: F401
