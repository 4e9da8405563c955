"""The job engine's recurring jobs (see core.schedules)."""

SCHEDULES = [
    # name, function, minutes between runs
    ("Recover items left by stopped workers", "gallery.tasks.recover_stale_items", 1),
]
