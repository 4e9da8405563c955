"""The real chair video (43.5 s phone video, 136x240, 10-bit HLG): the pipeline's stages one by one,
their wall time, and how many frames structure-from-motion registers.

SfM runs with no minimum share here, so the number it registers is reported even where the pipeline
would stop (it needs half of the frames); the pipeline's own verdict is printed beside it. When enough
frames are placed, a short splatting run and the export of an orbit video follow, timed the same way.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

from PIL import Image

from captures.reconstruction.datasets import load_image_set
from captures.reconstruction.errors import ReconstructionError
from captures.reconstruction.frames import HD_LONG_SIDE, extract_frames
from captures.reconstruction.gaussians import orbit_cameras, render_image, train
from captures.reconstruction.presets import device_kind, preset
from captures.reconstruction.sfm import run_sfm
from media.video import write_video

from . import SHARED_DATA
from .lego import step_times
from .report import Result, Stopwatch, quiet_colmap_and_log

CHAIR = SHARED_DATA / "videos" / "chair_orbit_136x240.mp4"
FRAMES = 100  # the pipeline's default frame count
PIPELINE_MIN_SHARE = 0.5  # run_sfm's default: below this share the pipeline refuses the capture
ITERATIONS = 300
QUICK_ITERATIONS = 50
ORBIT_FRAMES = 30


def run(quick: bool = False) -> Result:
    result = Result("chair", f"chair video ({CHAIR.name}): frames, SfM, splatting, export")
    if not CHAIR.is_file():
        result.notes.append(f"skipped: the video is not at {CHAIR}")
        return result
    with tempfile.TemporaryDirectory(prefix="bench-chair-") as work:
        _run(Path(work), quick, result)
    return result


def _run(work: Path, quick: bool, result: Result) -> None:
    clock = Stopwatch()
    try:
        frames = extract_frames(CHAIR, work / "frames", target_count=FRAMES, max_size=HD_LONG_SIDE)
    except ReconstructionError as error:
        result.rows.append({"stage": "frames", "seconds": clock.lap(), "result": f"failed: {error}"})
        return
    with Image.open(frames[0]) as first:
        size = f"{first.width}x{first.height}"
    result.rows.append({"stage": "frames", "seconds": clock.lap(),
                        "result": f"{len(frames)} sharpest frames at {size}"})

    sfm_log = []
    try:
        with quiet_colmap_and_log(sfm_log):
            scene = run_sfm(work / "frames", work / "sfm", kind="video", min_registered_share=0.0)
    except ReconstructionError as error:
        result.rows.append({"stage": "poses (SfM)", "seconds": clock.lap(), "result": f"failed: {error}"})
        result.notes.append("SfM placed too few frames to go on; the stages after it were not run.")
        return
    finally:
        result.notes += [f"COLMAP: {message}" for message in sfm_log]
    registered = len(scene.cameras)
    needed = math.ceil(PIPELINE_MIN_SHARE * len(frames))
    verdict = "the pipeline goes on" if registered >= needed else f"the pipeline stops here (needs {needed})"
    result.rows.append({"stage": "poses (SfM)", "seconds": clock.lap(),
                        "result": f"{registered} of {len(frames)} frames registered "
                                  f"({registered / len(frames):.0%}), {len(scene.points):,} points; {verdict}"})
    if registered < 3:
        result.notes.append("Fewer than 3 frames placed: nothing to train on; the stages after it were not run.")
        return

    iterations = QUICK_ITERATIONS if quick else ITERATIONS
    # As the pipeline trains: at the preset's size on the long side, never enlarged (these frames are smaller).
    train_size = preset("standard", device_kind()).train_size
    images = load_image_set([camera.image_path for camera in scene.cameras], size=train_size)
    scene.cameras = [camera.scaled(image.shape[1], image.shape[0])
                     for camera, image in zip(scene.cameras, images, strict=True)]
    clock.lap()
    steps = step_times(scene, images, label="chair")
    result.rows.append({"stage": "first training steps", "seconds": clock.lap(),
                        "result": f"{steps['steps']} steps: median {steps['median s']:.3f} s, max "
                                  f"{steps['max s']:.3f} s (step {steps['slowest step']}), max / median "
                                  f"{steps['max / median']:.1f} (target <= 3)"})
    trained = train(scene, images, iterations=iterations, background="white", seed=0)
    result.rows.append({"stage": "training", "seconds": clock.lap(),
                        "result": f"{iterations} iterations on {registered} views at "
                                  f"{scene.cameras[0].width}x{scene.cameras[0].height}, "
                                  f"{trained.num_gaussians:,} Gaussians, final loss {trained.losses[-1]:.3f}"})

    first = scene.cameras[0]
    frames_out = [render_image(trained.model, camera, (1.0, 1.0, 1.0))
                  for camera in orbit_cameras(scene, ORBIT_FRAMES, width=first.width, height=first.height)]
    write_video(frames_out, work / "orbit.mp4", fps=30)
    result.rows.append({"stage": "export (orbit video)", "seconds": clock.lap(),
                        "result": f"{ORBIT_FRAMES} frames rendered and encoded"})
    result.rows.append({"stage": "total", "seconds": clock.total, "result": ""})
