"""The registry of pipelines an item can run: each pipeline's facts in one place.

A pipeline is registered once, by one module in its domain app (`<app>/pipelines/<name>.py`), with everything
the rest of the house needs to know about it:

- `label` and `method`: its name for people, and one honest line saying what method it runs;
- `stages`: (name, label) pairs, or (name, label, weight[, unit]), in the order it reports them through
  `job.report(stage, done, total)`. `weight` is the stage's expected share of the run's time, relative to the
  others (default 1: equal shares, the stage count); `unit` names what the stage counts ("iteration"), for
  "iteration 1,200 of 3,000". Where a run knows better, `job.expect(stage, seconds)` says how long a stage will
  take; the runner also measures each stage's own rate as it reports (`Item.progress`, gallery/models.py);
- `outputs`: the files it stores (kind, content type, label; `per_iteration` for training snapshots);
- `inputs`: what it accepts, by model label and format (e.g. `Input("captures.capture", ("video",))`);
- `parameters`: each with its default and allowed values; `clean_parameters` checks a request against them;
- `category` and `aliases`: what kind of work it is ("preview", "reconstruction", ...) and the names clients
  use for it (the scenes door's `training_mode`);
- `expected_seconds`: a typical run's length, only to weigh several items of one object on one bar (a
  capture's preview and reconstruction) before they are measured (gallery.models.combined).

The dashboard, the admin and the doors read these facts; none of them lists pipelines of its own.

`run(item, job)` reads the item's source, calls a pure pipeline package with paths and `job.report`, and returns
the files it made as `Output`s; the runner stores them. To refuse with a reason a person can act on, it raises
`PipelineFailed`.
"""

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


class PipelineFailed(Exception):
    """The input cannot give a result; the message tells the person what to change."""


class InvalidParameters(ValueError):
    """A request's parameters break the pipeline's declared rules; the message says which and how."""


@dataclass(frozen=True)
class Output:
    """A file a run made, handed to the runner to store."""

    kind: str
    path: Path
    iteration: int | None = None
    content_type: str | None = None


@dataclass(frozen=True)
class Stage:
    name: str
    label: str
    weight: float = 1.0  # expected share of the run's time, relative to the pipeline's other stages
    unit: str = ""  # what the stage's done/total count, e.g. "iteration"; empty: not shown as a count


@dataclass(frozen=True)
class OutputKind:
    """A kind of file the pipeline stores."""

    kind: str
    content_type: str
    label: str
    per_iteration: bool = False  # (also) stored at each saved training iteration


@dataclass(frozen=True)
class Input:
    """What a pipeline is made from: a model ("app_label.model") and, where it has them, the formats accepted."""

    model: str
    formats: tuple[str, ...] = ()

    def accepts(self, source, format=None):
        """Whether `source` (in `format`, when it is known yet) is something this input takes."""
        meta = source._meta
        known = format not in (None, "")
        return f"{meta.app_label}.{meta.model_name}" == self.model and (
            not self.formats or not known or format in self.formats)


@dataclass(frozen=True)
class Parameter:
    """One parameter: its default and what is allowed (a whole-number range, choices, or a list of either)."""

    name: str
    default: object = None
    label: str = ""
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple = ()
    many: bool = False  # a list of values, each checked

    def clean(self, value):
        if value is None:
            return self.default() if callable(self.default) else self.default
        if self.many:
            if not isinstance(value, (list, tuple)):
                raise InvalidParameters(f"{self.name} must be a list.")
            return [self._clean_one(v) for v in value]
        return self._clean_one(value)

    def _clean_one(self, value):
        if self.choices:
            if value not in self.choices:
                raise InvalidParameters(f"{self.name}: {value!r} is not allowed; choose from "
                                        f"{', '.join(map(str, self.choices))}.")
            return value
        if self.minimum is not None or self.maximum is not None:
            if isinstance(value, bool) or not isinstance(value, int):
                raise InvalidParameters(f"{self.name} must be a whole number.")
            below = self.minimum is not None and value < self.minimum
            above = self.maximum is not None and value > self.maximum
            if below or above:
                raise InvalidParameters(f"{self.name} must be from {self.minimum} to {self.maximum}; it is {value}.")
        return value


def _no_expectation(stage, seconds):
    pass


@dataclass
class Job:
    """What a run is handed: its work folder, `report(stage, done, total)` and `expect(stage, seconds)`.

    `expect` is optional for a pipeline: it says how long `stage` should take in all (e.g. measured from a few
    steps, or known from the input's size) until the stage's own measured rate replaces it.
    """

    work_dir: Path
    report: Callable[[str, int, int], None]
    stages: tuple[str, ...] = field(default_factory=tuple)
    expect: Callable[[str, float], None] = _no_expectation

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
    label: str
    method: str
    stages: tuple[Stage, ...]
    outputs: tuple[OutputKind, ...] = ()
    inputs: tuple[Input, ...] = ()
    parameters: tuple[Parameter, ...] = ()
    category: str = ""
    aliases: tuple[str, ...] = ()
    queue: str = "default"
    expected_seconds: float = 60.0  # a typical run, to put several items on one bar before they are measured

    @property
    def stage_names(self):
        return tuple(stage.name for stage in self.stages)

    @property
    def weights(self):
        """Each stage's expected share of the run's time, in stage order, summing to 1."""
        total = sum(max(stage.weight, 0.0) for stage in self.stages)
        if total <= 0:
            return tuple(1 / len(self.stages) for _ in self.stages)
        return tuple(max(stage.weight, 0.0) / total for stage in self.stages)

    def stage(self, name):
        """The declared stage `name`, or None."""
        return next((stage for stage in self.stages if stage.name == name), None)

    def stage_label(self, name):
        """The label people see for stage `name`; the name itself for one the pipeline did not declare."""
        return next((stage.label for stage in self.stages if stage.name == name), name)

    def output(self, kind):
        """The declared output of `kind`, or None."""
        return next((output for output in self.outputs if output.kind == kind), None)

    def output_label(self, kind):
        output = self.output(kind)
        return output.label if output else kind

    def snapshot_kinds(self):
        return tuple(output.kind for output in self.outputs if output.per_iteration)

    def accepts(self, source, format=None):
        return any(accepted.accepts(source, format) for accepted in self.inputs)

    def clean_parameters(self, requested):
        """The parameters an item of this pipeline runs with: `requested` checked against the declared ones,
        defaults filled in. Unknown names are refused, naming the known ones."""
        requested = dict(requested or {})
        known = {parameter.name: parameter for parameter in self.parameters}
        unknown = sorted(set(requested) - set(known))
        if unknown:
            raise InvalidParameters(f"{', '.join(unknown)}: not a parameter of {self.label}; it takes "
                                    f"{', '.join(known) or 'none'}.")
        return {name: parameter.clean(requested.get(name)) for name, parameter in known.items()}


_registry: dict[str, Pipeline] = {}


def register(name, *, timeout, label, method, stages, outputs=(), inputs=(), parameters=(), category="",
             aliases=(), queue="default", expected_seconds=60.0):
    """Registers the decorated `run(item, job)` under `name` with the pipeline's facts (see the module doc).

    `stages` are Stage objects, (name, label[, weight[, unit]]) tuples, or names (their own labels).
    """

    def decorator(run):
        _registry[name] = Pipeline(
            name=name, run=run, timeout=timeout, label=label, method=method,
            stages=tuple(_stage(s) for s in stages), outputs=tuple(outputs),
            inputs=tuple(inputs), parameters=tuple(parameters), category=category, aliases=tuple(aliases),
            queue=queue, expected_seconds=expected_seconds,
        )
        return run

    return decorator


def _stage(stage):
    if isinstance(stage, Stage):
        return stage
    if isinstance(stage, str):
        return Stage(stage, stage.replace("_", " ").capitalize())
    return Stage(*stage)


def unregister(name):
    """Removes a registration (tests register pipelines of their own)."""
    _registry.pop(name, None)


def get(name):
    try:
        return _registry[name]
    except KeyError:
        raise KeyError(f"No pipeline is registered under {name!r}.") from None


def is_registered(name):
    return name in _registry


def registered():
    return dict(_registry)


def in_category(category, *, made_from=None):
    """The registered pipelines of `category`, in registration order; with `made_from` ("app_label.model"), only
    those that take that kind of object."""
    return [pipeline for pipeline in _registry.values() if pipeline.category == category
            and (made_from is None or any(accepted.model == made_from for accepted in pipeline.inputs))]


def by_alias(alias, category=None):
    """The pipeline clients call `alias` (within `category` if given), or None."""
    return next((p for p in _registry.values() if alias in p.aliases and (category is None or p.category == category)),
                None)


def label_of(name):
    """The label people see for pipeline `name`; the name itself when it is not registered here."""
    return _registry[name].label if name in _registry else name
