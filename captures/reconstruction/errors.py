"""The error a reconstruction step raises when the capture itself is the problem."""


class ReconstructionError(Exception):
    """The capture cannot be reconstructed as it is.

    ``str(error)`` is a full sentence for the person who filmed it: what went wrong and what to do
    differently, e.g. "Only 6 of 40 frames could be placed in 3D: film more slowly, move around the
    object rather than turning on the spot, and keep it in view." Callers show it as the item's failure
    reason as it is. Programming errors and broken installs stay ordinary exceptions.
    """

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
