"""The avatar studio's pipelines: avatar images and videos, run on a worker."""


def spec_for(generation):
    """The avatar a generation asked for, read again from its stored request (the same reading that accepted it)."""
    from core.errors import Invalid
    from gallery.pipelines import PipelineFailed

    from ..services import spec_of

    try:
        return spec_of(generation.request, generation.kind)
    except Invalid as exc:  # accepted when asked; a catalogue changed since could make it unreadable
        raise PipelineFailed(exc.message) from None


from . import avatar_image, avatar_video  # noqa: E402, F401  (registers the pipelines)
