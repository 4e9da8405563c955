"""Quality and speed benchmarks for the reconstruction pipeline, Face ID and the avatar studio: `make bench`, or
`python -m bench [--quick] [--only lego,milk,chair,presets,raster,formats,faces,faceid,studio]`. Never part of the
test suite: tests do not assert on timing, these print measurements and ratios for a person to read.

Each benchmark module has `run(quick) -> report.Result`; `__main__` runs every one in a fresh process
(so that its peak memory is its own) and prints one table per benchmark.

The real data sets are read from ../shared/data beside the project (ATLAS_SHARED_DATA overrides); a
benchmark whose data is absent says so instead of a table.
"""

import os
from pathlib import Path

# OpenMP's busy-waiting threads make torch several times slower when cores are shared (see
# config/settings.py). Must be set before torch is first imported, so it is set on importing `bench`.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

SHARED_DATA = Path(os.environ.get("ATLAS_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
