"""`manage.py calibrate`: measure this machine's speed for reconstruction time estimates (run on each worker
machine; `manage.py serve` does it by itself, once per rasteriser build)."""

from django.core.management.base import BaseCommand

from captures.estimates import calibrate


class Command(BaseCommand):
    help = ("Measures this machine's training speed (a few seconds of the real training code) and keeps it, so "
            "that the time shown before an upload fits the workers. Measures again with --force.")

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="measure again even if this machine has")

    def handle(self, *args, force, **options):
        speed = calibrate(force=force, say=self.stdout.write)
        if options["verbosity"] >= 1:
            self.stdout.write(f"{speed}: benchmark {speed.training_seconds:.2f} s on its training device, "
                              f"{speed.cpu_seconds:.2f} s on the CPU; corrections from {speed.runs} runs: "
                              f"{speed.corrections or 'none yet'}")
