"""Recurring jobs of the worker cluster, kept in django-q2's schedule table after every migrate."""

SCHEDULES = [
    # name, function, minutes between runs
    ("Recover items left by stopped workers", "gallery.tasks.recover_stale_items", 1),
    ("Delete abandoned multi-part uploads", "captures.tasks.cleanup_abandoned_uploads", 60),
]


def ensure_schedules(**kwargs):
    from django_q.models import Schedule

    for name, func, minutes in SCHEDULES:
        Schedule.objects.update_or_create(
            name=name, defaults={"func": func, "schedule_type": Schedule.MINUTES, "minutes": minutes, "repeats": -1},
        )
