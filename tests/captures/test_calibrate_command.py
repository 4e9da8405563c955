"""`manage.py calibrate`: measures once, says so, and keeps it."""

import io

import pytest
from django.core.management import call_command

from captures.models import WorkerSpeed

pytestmark = pytest.mark.django_db


def test_calibrate_measures_this_machine_once_and_says_what_it_found():
    out = io.StringIO()
    call_command("calibrate", stdout=out)
    speed = WorkerSpeed.objects.get()
    assert out.getvalue().startswith("Measuring this machine's speed, for the time estimates of reconstructions ...\n"
                                     "Measured in ")
    assert f"benchmark {speed.training_seconds:.2f} s on its training device" in out.getvalue()
    quiet = io.StringIO()
    call_command("calibrate", stdout=quiet, verbosity=0)  # as `manage.py serve` asks: kept, so nothing to say
    assert quiet.getvalue() == "" and WorkerSpeed.objects.count() == 1
