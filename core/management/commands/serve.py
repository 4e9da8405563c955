"""`manage.py serve`: the web server and the worker cluster together, as `make run` starts them."""

import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Runs gunicorn (web) and the django-q2 cluster (workers) together; Ctrl-C stops both."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default="127.0.0.1:8000", help="host:port for the web server")
        parser.add_argument("--web-workers", type=int, default=2)

    def handle(self, *args, bind, web_workers, **options):
        # Before the workers start, while the machine is quiet: the speed that time estimates scale by (captures'
        # `calibrate`, by name: the shared code imports no domain app). Measured once per machine and build.
        if "calibrate" in get_commands():
            call_command("calibrate", stdout=self.stdout, verbosity=0)
        python = sys.executable
        processes = {
            "web": subprocess.Popen([
                python, "-m", "gunicorn", "config.wsgi:application", "--bind", bind,
                "--workers", str(web_workers), "--threads", "4", "--timeout", "600",
                "--graceful-timeout", "10", "--access-logfile", "-",
            ]),
            "workers": subprocess.Popen([python, "manage.py", "qcluster"]),
        }
        self.banner(bind)
        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        exit_code = 0
        while not stopping:
            for name, process in processes.items():
                if process.poll() is not None:
                    self.stderr.write(f"The {name} process exited with code {process.returncode}; stopping.")
                    exit_code = process.returncode or 1
                    stopping = True
            time.sleep(0.5)
        self.shutdown(processes)
        sys.exit(exit_code)

    def shutdown(self, processes):
        self.stdout.write("\nStopping the web server and the workers ...")
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 20
        for process in processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
        self.stdout.write("Stopped.")

    def banner(self, bind):
        mail = (f"written to {settings.MAIL_DIR}/ (and echoed here)"
                if settings.EMAIL_BACKEND == "accounts.mail.FolderEmailBackend" else f"sent via {settings.EMAIL_HOST}")
        self.stdout.write(self.style.SUCCESS(f"\nAtlas is running at http://{bind}/"))
        self.stdout.write(
            f"  API docs:   http://{bind}/api/docs/\n"
            f"  Admin:      http://{bind}/admin/  (create an admin with `make admin`"
            " or `.venv/bin/python manage.py createsuperuser`)\n"
            f"  E-mails:    {mail}\n"
            f"  Database:   {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}"
            f" ({settings.DATABASES['default']['NAME']})\n"
            "  Press Ctrl-C to stop.\n"
        )
