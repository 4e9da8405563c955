"""Recurring jobs of the worker cluster: each app lists its own in `<app>/schedules.py` as

    SCHEDULES = [(name, dotted function, minutes between runs), ...]

and they are written into django-q2's schedule table after every migrate. Nothing here names an app.
"""

from importlib import import_module

from django.apps import apps


def app_schedules():
    """[(name, function, minutes)] of every installed app that has a schedules module."""
    found = []
    for config in apps.get_app_configs():
        try:
            module = import_module(f"{config.name}.schedules")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.schedules":
                raise
            continue
        found += list(getattr(module, "SCHEDULES", []))
    return found


def ensure_schedules(**kwargs):
    from django_q.models import Schedule

    for name, func, minutes in app_schedules():
        Schedule.objects.update_or_create(
            name=name, defaults={"func": func, "schedule_type": Schedule.MINUTES, "minutes": minutes, "repeats": -1},
        )
