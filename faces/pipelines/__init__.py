"""Face ID's pipelines: importing many people's photos at once runs on a worker (people_import)."""

from . import people_import  # noqa: F401  (registers the pipeline)
