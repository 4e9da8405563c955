"""The registry of pipelines an item can run, and what a running pipeline is handed.

A pipeline is registered under the model name the seeds use. Its `run(item, job)` reads the item's
inputs, calls a pure pipeline package with paths and a `job.report(stage, done, total)` callback, and
returns the files it made as `Output`s; the runner stores them. To refuse with a reason a person can
act on, it raises `PipelineFailed`.
"""

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


class PipelineFailed(Exception):
    """The input cannot give a result; the message tells the person what to change."""


@dataclass(frozen=True)
class Output:
    kind: str
    path: Path
    iteration: int | None = None
    content_type: str | None = None


@dataclass
class Job:
    work_dir: Path
    report: Callable[[str, int, int], None]
    stages: tuple[str, ...] = field(default_factory=tuple)

    def local_path(self, field_file):
        """A path on this machine for a stored file: the file itself on local storage, else a download."""
        try:
            return Path(field_file.path)
        except NotImplementedError:
            target = self.work_dir / "inputs" / Path(field_file.name).name
            target.parent.mkdir(parents=True, exist_ok=True)
            with field_file.open("rb") as source, open(target, "wb") as out:
                shutil.copyfileobj(source, out, length=8 * 1024 * 1024)
            return target


@dataclass(frozen=True)
class Pipeline:
    name: str
    run: Callable
    timeout: int
    stages: tuple[str, ...]
    queue: str = "default"
    description: str = ""


_registry: dict[str, Pipeline] = {}


def register(name, *, timeout, stages, queue="default", description=""):
    """Registers the decorated `run(item, job)` under `name`."""

    def decorator(run):
        _registry[name] = Pipeline(name, run, timeout, tuple(stages), queue, description or (run.__doc__ or ""))
        return run

    return decorator


def get(name):
    try:
        return _registry[name]
    except KeyError:
        raise KeyError(f"No pipeline is registered under {name!r}.") from None


def is_registered(name):
    return name in _registry


def registered():
    return dict(_registry)
