"""3D Gaussian splatting in torch: a differentiable rasteriser, the trainable model, training, rendering.

Everything runs on whichever device its tensors are on: the CPU, or CUDA when torch has it (`train`
picks CUDA by itself when available). See each module's docstring for its conventions.
"""

from .model import GaussianModel
from .rasterize import RasterOutput, rasterize, sh_to_rgb
from .render import orbit_cameras, render, render_image, scene_center
from .train import TrainConfig, TrainResult, ssim, train

__all__ = [
    "GaussianModel", "RasterOutput", "TrainConfig", "TrainResult", "orbit_cameras", "rasterize", "render",
    "render_image", "scene_center", "sh_to_rgb", "ssim", "train",
]
