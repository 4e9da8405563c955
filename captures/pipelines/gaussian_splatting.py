"""3D Gaussian splatting of a capture: sharpest frames, structure-from-motion, training, export."""

from django.conf import settings

from captures import estimates
from captures.reconstruction.presets import CUSTOM, NAMES
from gallery.pipelines import Input, Output, OutputKind, Parameter, PipelineFailed, register
from media import MediaError

from .sources import ASSEMBLE, CAPTURE_INPUTS, capture_of, local_source

OCTET = "application/octet-stream"


@register(
    "gaussian-splatting", timeout=settings.RECONSTRUCTION_TIMEOUT, category="reconstruction",
    label="Gaussian splatting", aliases=("gaussian",),
    method=("Sharpest frames (ffmpeg) → structure-from-motion (pycolmap) → 3D Gaussian splatting optimised in "
            "torch with a differentiable rasteriser written here (CPU, or CUDA when present)."),
    # Each stage's expected share of a run (3000 iterations), for the bar until the run measures itself (then the
    # finished stages' times and training's own pace, gallery.models.Progress): joining the parts is a file copy;
    # 100 sharpest frames take seconds; structure-from-motion (pycolmap, on the CPU everywhere) minutes on 2
    # cores for 100 frames; training most of the run (on the CPU far more); the export a SOGS sort (about 40 s
    # for 300,000 splats on 2 cores), three .ksplat files and a 90-frame orbit video.
    stages=[(*ASSEMBLE, 0.01), ("frames", "Picking the sharpest frames", 0.04),
            ("poses", "Finding the camera positions", 0.15),
            ("training", "Training the Gaussian splats", 0.65, "iteration"),
            ("export", "Writing the model files", 0.15)],
    expected_seconds=300,
    outputs=[
        OutputKind("splat", OCTET, "Gaussian splats, compressed (.splat)"),
        OutputKind("ply", OCTET, "Gaussian splats (.ply)"),
        OutputKind("sog", "application/zip", "Gaussian splats, Self-Organizing Gaussians (.zip of WebP images)"),
        OutputKind("ksplat-0", OCTET, "Gaussian splats for the web viewer, uncompressed (.ksplat)"),
        OutputKind("ksplat-1", OCTET, "Gaussian splats for the web viewer, compressed (.ksplat)"),
        OutputKind("ksplat-2", OCTET, "Gaussian splats for the web viewer, most compressed (.ksplat)"),
        OutputKind("point_cloud", OCTET, "Point cloud (.ply)", per_iteration=True),
        OutputKind("video", "video/mp4", "Orbit video (.mp4)", per_iteration=True),
        OutputKind("cameras", "application/json", "Camera poses (.json)"),
        OutputKind("thumbnail", "image/jpeg", "Thumbnail (.jpg)"),
        # Stored only at the saved iterations (the scenes door's output types, with point_cloud and video).
        OutputKind("splat_cloud", OCTET, "Gaussian splats at a saved iteration (.ply)", per_iteration=True),
    ],
    inputs=[Input("captures.capture", CAPTURE_INPUTS)],
    parameters=[
        # A quality preset (captures/reconstruction/presets.py) picks iterations, training size, splat budget
        # and frames; `iterations`, when given, replaces the preset's count ("custom": Standard's other choices).
        Parameter("preset", default=None, label="Quality", choices=(*NAMES, CUSTOM)),
        Parameter("iterations", default=None, label="Training iterations", minimum=1, maximum=100_000),
        # For measuring a method: every n-th view stays out of training; the result lists the model's PSNR on them.
        Parameter("hold_out", default=None, label="Views held out of training (every n-th)", minimum=2,
                  maximum=100),
        Parameter("save_iterations", default=list, label="Iterations to save a snapshot at", minimum=1,
                  maximum=100_000, many=True),
        # Seed 001's example asks splatting for a "model" too: accepted, and never made (it stays missing).
        Parameter("output_types", default=lambda: ["splat_cloud"], label="Snapshot outputs",
                  choices=("splat_cloud", "point_cloud", "video", "model"), many=True),
    ],
)
def run_gaussian_splatting(item, job):
    from captures.reconstruction.errors import ReconstructionError
    from captures.reconstruction.pipeline import reconstruct

    capture = capture_of(item, job, doing="reconstruct")
    parameters = item.parameters
    chosen = estimates.chosen_preset(parameters)
    save_iterations = sorted({int(i) for i in parameters.get("save_iterations", [])
                              if 0 < int(i) <= chosen.iterations})
    snapshot_outputs = [kind for kind in parameters.get("output_types", ["splat_cloud"])
                        if kind in ("splat_cloud", "point_cloud", "video")]
    speed = estimates.calibrate()  # measured once per machine and rasteriser build: seconds, the first time
    expected = estimates.stage_seconds(chosen, estimates.source_of(capture), speed)
    for stage, seconds in expected.items():
        job.expect(stage, seconds)
    try:
        result = reconstruct(
            local_source(capture, job), job.work_dir / "reconstruction", preset=chosen,
            save_iterations=save_iterations, snapshot_outputs=snapshot_outputs or ("splat_cloud",),
            frame_size=settings.RECONSTRUCTION_FRAME_SIZE, hold_out_every=parameters.get("hold_out"), report=job.report,
        )
    except (ReconstructionError, MediaError) as exc:
        raise PipelineFailed(str(exc)) from exc
    estimates.learn(speed, expected, result.seconds)
    outputs = [
        Output("ply", result.ply, content_type=OCTET),
        Output("splat", result.splat, content_type=OCTET),
        Output("sog", result.sog, content_type="application/zip"),
        *(Output(f"ksplat-{level}", path, content_type=OCTET) for level, path in result.ksplats.items()),
        Output("point_cloud", result.point_cloud, content_type=OCTET),
        Output("video", result.video, content_type="video/mp4"),
        Output("thumbnail", result.thumbnail, content_type="image/jpeg"),
        Output("cameras", result.cameras, content_type="application/json"),
    ]
    for iteration, files in result.snapshots.items():
        outputs += [Output(kind, path, iteration=iteration) for kind, path in files.items()]
    held_out = {"held_out_psnr": round(sum(result.held_out.values()) / len(result.held_out), 2)} if result.held_out \
        else {}
    item.parameters = {**parameters, "result": {
        "frames": result.frames, "registered": result.registered, "num_gaussians": result.num_gaussians,
        "max_gaussians": result.max_gaussians, "cap_hit": result.cap_hit, "device": result.device,
        "preset": result.preset, "iterations": result.iterations, "train_size": result.train_size,
        "expected_seconds": {stage: round(value, 1) for stage, value in expected.items()},
        **held_out,
        "seconds": {stage: round(value, 1) for stage, value in result.seconds.items()},
        "poses": result.poses.method, "poses_note": result.poses.note, "poses_check": result.poses.check,
    }}
    item.save(update_fields=["parameters"])
    return outputs
