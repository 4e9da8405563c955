"""The real test data beside the project (../shared/data, README there): one way for every test to reach it.

A test that reads it says so, with the files it reads: ``@needs("videos/chair_orbit_136x240.mp4")`` on the
test (or in ``pytestmark``), or ``shared("...")`` inside a test or fixture. When a file is absent the test
is skipped with the reason locally, and fails under ``CI=true``: a CI run without the data would otherwise
be green with every real upload, preview and reconstruction test silently left out.
"""

import os
from pathlib import Path

import pytest

ENV = "ATLAS_SHARED_DATA"


def _beside_the_project() -> Path:
    """The nearest shared/data in a folder above the checkout: ../shared/data beside a clone, and above the
    folder of worktrees for a git worktree."""
    root = Path(__file__).resolve().parents[1]
    for folder in root.parents:
        if (folder / "shared" / "data").is_dir():
            return folder / "shared" / "data"
    return root.parent / "shared" / "data"


SHARED_DATA = Path(os.environ[ENV]) if os.environ.get(ENV) else _beside_the_project()


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def shared(relative) -> Path:
    """The path of `relative` in the shared data (an absolute path is taken as it is); when it is absent,
    a skip naming it, or under CI=true a failure."""
    path = SHARED_DATA / relative
    if not path.exists():
        reason = (f"shared test data {path} is absent: set {ENV} to the folder that holds it "
                  "(see ../shared/data/README.md)")
        if in_ci():
            pytest.fail(f"{reason}. CI=true, so missing shared data fails the run instead of skipping.",
                        pytrace=False)
        pytest.skip(reason)
    return path


# @needs(path, ...): checked before the test's fixtures run (tests/conftest.py), so nothing is set up for a
# test that cannot run.
needs = pytest.mark.shared_data
