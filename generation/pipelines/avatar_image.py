"""An avatar picture: the anny body shaped by the sliders, dressed, posed and rendered offscreen (OpenGL)."""

from gallery.pipelines import Input, Output, OutputKind, PipelineFailed, register

from ..models import Generation
from . import spec_for

WIDTH, HEIGHT = 512, 768

# What both avatar pipelines store beside their picture or video (avatar_video.py uses these too).
SHARED_OUTPUTS = (OutputKind("thumbnail", "image/jpeg", "Thumbnail (.jpg)"),
                  OutputKind("glb", "model/gltf-binary", "3D avatar (.glb)"))


@register(
    "avatar-image", timeout=10 * 60, category="avatar", label="Avatar image",
    method="anny parametric body (MakeHuman-based) shaped by the sliders, dressed and posed through its rig, "
           "rendered offscreen with OpenGL (moderngl on EGL).",
    stages=[("body", "Shaping and dressing the body", 0.3), ("render", "Rendering", 0.5),
            ("encode", "Saving the picture", 0.2)],
    outputs=[OutputKind("image", "image/jpeg", "Picture (.jpg)"), *SHARED_OUTPUTS],
    inputs=[Input("generation.generation")],
    expected_seconds=5.0,
)
def run_image(item, job):
    from ..avatar.studio import make_image

    generation = _generation(item)
    made = make_image(spec_for(generation), job.work_dir, width=WIDTH, height=HEIGHT, report=job.report)
    return [Output("image", made["image"], content_type="image/jpeg"), *shared_outputs(made)]


def shared_outputs(made):
    """SHARED_OUTPUTS' files among what make_image or make_video made, as the runner stores them."""
    return [Output(kind.kind, made[kind.kind], content_type=kind.content_type) for kind in SHARED_OUTPUTS]


def _generation(item):
    generation = item.source
    if not isinstance(generation, Generation):
        raise PipelineFailed("This item has no avatar request to make.")
    return generation
