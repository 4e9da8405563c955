"""The shared test data (tests/data.py): absent, a test that needs it is skipped with the reason locally, and
fails the run under CI=true, so a CI machine without the data cannot pass by leaving the real tests out."""

import os
import subprocess
import sys
from pathlib import Path

from tests.data import needs, shared

DONUT = "models/donut_3dgs_fused.ply"
ROOT = Path(__file__).resolve().parents[1]
THESE = [f"{Path(__file__).relative_to(ROOT)}::{name}" for name in (
    "test_a_test_marked_with_the_files_it_reads_gets_them", "test_a_test_asking_for_a_file_gets_its_path")]


@needs(DONUT)
def test_a_test_marked_with_the_files_it_reads_gets_them():
    assert shared(DONUT).stat().st_size == 2555305


def test_a_test_asking_for_a_file_gets_its_path():
    assert shared(DONUT).name == "donut_3dgs_fused.ply"


def run_without_the_data(tmp_path, ci):
    """The two tests above, in a pytest of their own, with ATLAS_SHARED_DATA pointing at an empty folder."""
    env = {key: value for key, value in os.environ.items() if key not in ("CI", "ATLAS_VAR_DIR")}
    env["ATLAS_SHARED_DATA"] = str(tmp_path)
    if ci is not None:
        env["CI"] = ci
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", *THESE], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    return result.returncode, result.stdout + result.stderr


def test_absent_data_is_a_skip_naming_the_file_and_the_variable_locally(tmp_path):
    code, output = run_without_the_data(tmp_path, ci=None)
    assert code == 0, output
    assert "2 skipped" in output and "failed" not in output and "error" not in output
    assert (f"shared test data {tmp_path / DONUT} is absent: set ATLAS_SHARED_DATA to the folder that holds it"
            in output)


def test_absent_data_fails_the_run_under_ci(tmp_path):
    code, output = run_without_the_data(tmp_path, ci="true")
    assert code == 1, output
    assert "1 failed, 1 error" in output and "skipped" not in output
    assert f"shared test data {tmp_path / DONUT} is absent: set ATLAS_SHARED_DATA" in output
    assert "CI=true, so missing shared data fails the run instead of skipping." in output
