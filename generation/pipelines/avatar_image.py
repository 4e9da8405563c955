"""An avatar picture: the anny body shaped by the sliders, dressed, posed and rendered offscreen (OpenGL)."""

from gallery.pipelines import Input, Output, OutputKind, PipelineFailed, register

from ..models import Generation
from . import spec_for

WIDTH, HEIGHT = 512, 768


@register(
    "avatar-image", timeout=10 * 60, category="avatar", label="Avatar image",
    method="anny parametric body (MakeHuman-based) shaped by the sliders, dressed and posed through its rig, "
           "rendered offscreen with OpenGL (moderngl on EGL).",
    stages=[("body", "Shaping and dressing the body", 0.3), ("render", "Rendering", 0.5),
            ("encode", "Saving the picture", 0.2)],
    outputs=[OutputKind("image", "image/jpeg", "Picture (.jpg)"),
             OutputKind("thumbnail", "image/jpeg", "Thumbnail (.jpg)"),
             OutputKind("glb", "model/gltf-binary", "3D avatar (.glb)")],
    inputs=[Input("generation.generation")],
    expected_seconds=5.0,
)
def run_image(item, job):
    from ..avatar.studio import make_image

    generation = _generation(item)
    made = make_image(spec_for(generation), job.work_dir, width=WIDTH, height=HEIGHT, report=job.report)
    return [Output("image", made["image"], content_type="image/jpeg"),
            Output("thumbnail", made["thumbnail"], content_type="image/jpeg"),
            Output("glb", made["glb"], content_type="model/gltf-binary")]


def _generation(item):
    generation = item.source
    if not isinstance(generation, Generation):
        raise PipelineFailed("This item has no avatar request to make.")
    return generation
