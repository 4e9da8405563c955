"""What each kind of upload may be, from the seeds. Used with media.check_limits."""

MB = 1024 * 1024
GB = 1024 * MB

# Seed 000 §3.5 (gs3d): mp4, FHD or lower, 300 MB or lower, 180 s or less.
GS3D_VIDEO = {"formats": {"mp4"}, "max_bytes": 300 * MB, "max_duration": 180, "max_resolution": (1920, 1080)}
# Seed 000 §3.2 (nerf2mesh): 20–180 s, HD–FHD, 50–300 MB.
NERF2MESH_VIDEO = {"formats": {"mp4"}, "min_bytes": 50 * MB, "max_bytes": 300 * MB, "min_duration": 20,
                   "max_duration": 180, "min_resolution": (1280, 720), "max_resolution": (1920, 1080)}
# Seed 000 §3.4 (instant-mesh): png/jpg, 300x300 or more, 10 MB or less.
SINGLE_IMAGE = {"formats": {"png", "jpeg"}, "max_bytes": 10 * MB, "min_width": 300, "min_height": 300}
# Scenes (001) and captures (004) name no limits; these keep a phone video workable.
ANY_VIDEO = {"formats": {"mp4", "mov"}, "max_bytes": 50 * GB, "max_duration": 30 * 60,
             "max_resolution": (7680, 4320)}
