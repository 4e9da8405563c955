"""The captures app's recurring jobs (see core.schedules)."""

SCHEDULES = [
    # name, function, minutes between runs
    ("Delete abandoned multi-part uploads", "captures.tasks.cleanup_abandoned_uploads", 60),
]
