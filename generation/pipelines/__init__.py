"""The avatar studio's pipelines: avatar images and videos, run on a worker."""
