"""What a benchmark hands back, the measurements every benchmark takes, and the plain-text tables."""

from __future__ import annotations

import contextlib
import importlib
import logging
import math
import os
import resource
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch


@dataclass
class Result:
    """One benchmark's outcome: rows of a table (dicts with the same keys, in column order), notes printed
    under it, and an optional one-line summary printed at the very end."""

    name: str
    title: str
    rows: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    summary: str | None = None
    seconds: float = 0.0  # wall time of the whole benchmark
    peak_rss_mb: float = 0.0  # the benchmark process's peak resident memory
    load: tuple[float, float] = (0.0, 0.0)  # 1-minute load average when it started and when it ended


class Stopwatch:
    """Wall time since creation, or since the last `lap`, by the monotonic clock."""

    def __init__(self):
        self.started = self.last = time.monotonic()

    def lap(self) -> float:
        now = time.monotonic()
        elapsed, self.last = now - self.last, now
        return elapsed

    @property
    def total(self) -> float:
        return time.monotonic() - self.started


def run_benchmark(name: str, quick: bool) -> Result:
    """Runs benchmark `name` (a module of this package) in this process and stamps its wall time and peak
    memory. Lives here, not in __main__, so that a spawned worker process can import it."""
    clock, load_before = Stopwatch(), load_average()
    result = importlib.import_module(f"{__package__}.{name}").run(quick)
    result.seconds = clock.total
    result.peak_rss_mb = peak_rss_mb()
    result.load = (load_before, load_average())
    return result


def load_average() -> float:
    """The 1-minute load average: about the number of busy cores. Timings taken while other programs
    keep cores busy are slower than the machine can do, so each table shows it."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


@contextlib.contextmanager
def quiet_colmap_and_log(messages: list[str], logger: str = "captures.reconstruction.sfm"):
    """COLMAP's warnings (one line per model it discards) off, and the INFO messages of `logger` (the SfM
    step's summary: how many models, how many pictures the largest holds) appended to `messages`."""
    import pycolmap

    class Collect(logging.Handler):
        def emit(self, record):
            messages.append(record.getMessage())

    handler, log = Collect(logging.INFO), logging.getLogger(logger)
    level, colmap_level = log.level, pycolmap.logging.minloglevel
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    pycolmap.logging.minloglevel = max(colmap_level, 2)
    try:
        yield messages
    finally:
        log.removeHandler(handler)
        log.setLevel(level)
        pycolmap.logging.minloglevel = colmap_level


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MiB (Linux reports ru_maxrss in KiB, macOS in bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1 << 20) if sys.platform == "darwin" else peak / 1024


def psnr(image: torch.Tensor, target: torch.Tensor) -> float:
    """Peak signal-to-noise ratio in dB of two images in [0, 1]."""
    mse = float(torch.mean((image.clamp(0, 1) - target) ** 2))
    return math.inf if mse == 0 else -10.0 * math.log10(mse)


def cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if math.isinf(value) or math.isnan(value):
            return str(value)
        magnitude = abs(value)
        digits = 0 if magnitude >= 1000 else 1 if magnitude >= 100 else 2 if magnitude >= 1 else 3
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def format_table(rows: list[dict]) -> str:
    """Rows as a plain-text table: a header from the keys (first row's order, then any new ones), text
    left-aligned and numbers right-aligned."""
    if not rows:
        return "(no rows)"
    columns = []
    for row in rows:
        columns += [key for key in row if key not in columns]
    cells = [[cell(row.get(column)) for column in columns] for row in rows]
    numeric = [all(isinstance(row.get(column), int | float) or row.get(column) is None for row in rows)
               for column in columns]
    widths = [max(len(column), *(len(line[i]) for line in cells)) for i, column in enumerate(columns)]

    def line(values):
        return "  ".join(value.rjust(width) if right else value.ljust(width)
                         for value, width, right in zip(values, widths, numeric, strict=True)).rstrip()

    return "\n".join([line(columns), line(["-" * width for width in widths]), *map(line, cells)])


def format_result(result: Result) -> str:
    heading = (f"== {result.title} ({result.seconds:.0f} s, peak memory {result.peak_rss_mb:,.0f} MiB, "
               f"load average {result.load[0]:.1f} at start / {result.load[1]:.1f} at end) ==")
    parts = [heading, format_table(result.rows)]
    parts += [f"  {note}" for note in result.notes]
    return "\n".join(parts)


@contextlib.contextmanager
def throwaway_django(prefix: str):
    """Django set up on a fresh SQLite database and media folder in a temporary directory (migrated), for
    benchmarks that go through the doors; removed afterwards."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix=prefix) as var:
        os.environ["ATLAS_VAR_DIR"] = var
        os.environ.pop("DATABASE_URL", None)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        yield Path(var)

