"""An avatar video: the dressed anny body moved through its rig (motion chosen from the prompt's words) on a
turntable, rendered offscreen frame by frame (OpenGL) and encoded as H.264."""

from gallery.pipelines import Input, Output, OutputKind, register

from . import spec_for
from .avatar_image import HEIGHT, SHARED_OUTPUTS, WIDTH, _generation, shared_outputs

FPS = 24


@register(
    "avatar-video", timeout=30 * 60, category="avatar", label="Avatar video",
    method="anny parametric body (MakeHuman-based) moved through its rig (idle, wave, walk, dance: from the "
           "prompt's words) on a turntable, rendered offscreen with OpenGL (moderngl on EGL), H.264 mp4.",
    stages=[("body", "Shaping and dressing the body", 0.05), ("frames", "Rendering the frames", 0.8, "frame"),
            ("encode", "Encoding the video", 0.15)],
    outputs=[OutputKind("video", "video/mp4", "Video (.mp4)"), *SHARED_OUTPUTS],
    inputs=[Input("generation.generation")],
    expected_seconds=30.0,
)
def run_video(item, job):
    from ..avatar.studio import make_video

    generation = _generation(item)
    made = make_video(spec_for(generation), job.work_dir, width=WIDTH, height=HEIGHT, fps=FPS, report=job.report)
    # Which OpenGL renderer drew the frames (Mesa's llvmpipe on a CPU, or the GPU), beside what was asked for.
    drawn_by = f"; frames drawn by {made['renderer']}"
    if drawn_by not in generation.renderer:
        type(generation).objects.filter(pk=generation.pk).update(renderer=(generation.renderer + drawn_by)[:400])
    return [Output("video", made["video"], content_type="video/mp4"), *shared_outputs(made)]
