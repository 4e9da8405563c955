"""The trainable Gaussians: parameters, their activations, and the edits densification makes.

Parameters are stored pre-activation, as the reference implementation and the `.ply` format do:
means (N, 3); log_scales (N, 3) (scale = exp); quaternions (N, 4) in (w, x, y, z), normalised when
used; opacity_logits (N,) (opacity = sigmoid); sh_dc (N, 1, 3) and sh_rest (N, K, 3) spherical
harmonic coefficients, K = (degree + 1)^2 - 1. Only the first `active_sh_degree` bands are rendered;
training raises it one band at a time, as the reference does.

Edits that change the number of Gaussians (prune, densify) or reset a parameter take the optimizer
along, so that Adam's moment estimates stay row-aligned with the parameters (new rows start at zero).
"""

import math

import numpy as np
import torch
from torch import nn

from ..splat_io import GaussianArrays
from .rasterize import SH_C0, quaternion_to_matrix

PARAMETERS = ("means", "log_scales", "quaternions", "opacity_logits", "sh_dc", "sh_rest")


class GaussianModel:
    """N Gaussians as six trainable tensors (see the module docstring); `max_sh_degree` follows sh_rest."""

    def __init__(self, means, log_scales, quaternions, opacity_logits, sh_dc, sh_rest, *, active_sh_degree=0):
        for name, value in zip(PARAMETERS, (means, log_scales, quaternions, opacity_logits, sh_dc, sh_rest),
                               strict=True):
            setattr(self, name, nn.Parameter(torch.as_tensor(value).detach().clone()))
        self.max_sh_degree = round(math.sqrt(self.sh_rest.shape[1] + 1)) - 1
        if (self.max_sh_degree + 1) ** 2 != self.sh_rest.shape[1] + 1:
            raise ValueError(f"sh_rest has {self.sh_rest.shape[1]} coefficients, not a full set of bands")
        self.active_sh_degree = min(active_sh_degree, self.max_sh_degree)

    @classmethod
    def from_points(cls, points, colors, *, sh_degree=3, opacity=0.1, device=None, dtype=torch.float32):
        """Isotropic Gaussians at `points` (N, 3) with RGB `colors` (N, 3) in [0, 1], as the reference
        initialises from SfM: scale = RMS distance to the 3 nearest other points, opacity 0.1.
        Arrays or tensors; a lone point gets scale 1."""
        points = torch.as_tensor(points, dtype=dtype, device=device).reshape(-1, 3)
        colors = torch.as_tensor(colors, dtype=dtype, device=device).reshape(-1, 3)
        n = len(points)
        log_scales = (0.5 * torch.log(mean_sq_neighbour_distance(points).clamp(min=1e-7)))[:, None].repeat(1, 3)
        quaternions = torch.zeros(n, 4, dtype=dtype, device=device)
        quaternions[:, 0] = 1
        return cls(points, log_scales, quaternions,
                   torch.full((n,), math.log(opacity / (1 - opacity)), dtype=dtype, device=device),
                   ((colors - 0.5) / SH_C0)[:, None, :],
                   torch.zeros(n, (sh_degree + 1) ** 2 - 1, 3, dtype=dtype, device=device))

    @classmethod
    def from_arrays(cls, arrays: GaussianArrays, *, device=None, dtype=torch.float32):
        """Gaussians read from a file, with every SH band they have active."""
        def tensor(a):
            return torch.as_tensor(a, dtype=dtype, device=device)

        sh_rest = arrays.sh_rest[:, :(arrays.sh_degree + 1) ** 2 - 1]
        return cls(tensor(arrays.means), tensor(arrays.scales), tensor(arrays.rotations), tensor(arrays.opacities),
                   tensor(arrays.sh_dc)[:, None, :], tensor(sh_rest), active_sh_degree=arrays.sh_degree)

    def to_arrays(self) -> GaussianArrays:
        def numpy(t):
            return t.detach().cpu().numpy()

        return GaussianArrays(means=numpy(self.means), normals=np.zeros((len(self), 3), np.float32),
                              sh_dc=numpy(self.sh_dc[:, 0]), sh_rest=numpy(self.sh_rest),
                              opacities=numpy(self.opacity_logits), scales=numpy(self.log_scales),
                              rotations=numpy(self.quaternions))

    def __len__(self):
        return len(self.means)

    @property
    def device(self):
        return self.means.device

    @property
    def scales(self):
        return torch.exp(self.log_scales)

    @property
    def rotations(self):
        return self.quaternions / self.quaternions.norm(dim=-1, keepdim=True)

    @property
    def opacities(self):
        return torch.sigmoid(self.opacity_logits)

    @property
    def features(self):
        """All SH coefficients (N, (max_sh_degree + 1)^2, 3)."""
        return torch.cat([self.sh_dc, self.sh_rest], dim=1)

    def parameters(self):
        """{name: parameter}, in a fixed order."""
        return {name: getattr(self, name) for name in PARAMETERS}

    def raise_sh_degree(self):
        self.active_sh_degree = min(self.active_sh_degree + 1, self.max_sh_degree)

    # Edits; each keeps `optimizer`'s state aligned when one is given.

    @torch.no_grad()
    def prune(self, keep, optimizer=None):
        """Keep only the rows where the boolean mask `keep` (N,) is true."""
        for name, value in self.parameters().items():
            self._replace(name, value[keep], optimizer, lambda state: state[keep])

    @torch.no_grad()
    def append(self, rows, optimizer=None):
        """Append new Gaussians, `rows` = {name: tensor} for every parameter; their Adam moments start at 0."""
        for name, value in self.parameters().items():
            new = rows[name].to(value)
            self._replace(name, torch.cat([value, new]), optimizer,
                          lambda state, new=new: torch.cat([state, torch.zeros_like(new)]))

    @torch.no_grad()
    def densify(self, clone, split, optimizer=None, generator=None, children=2):
        """Clone the Gaussians in mask `clone` (an exact copy, which the gradients then pull apart) and
        replace those in mask `split` by `children` samples drawn from them, scaled by 1 / (0.8 * children)
        (1/1.6 for two, as the reference)."""
        params = self.parameters()
        cloned = {name: value[clone] for name, value in params.items()}
        parents = {name: value[split].repeat_interleave(children, dim=0) for name, value in params.items()}
        scales = torch.exp(parents["log_scales"])
        noise = torch.randn(scales.shape, generator=generator, device=generator.device if generator else None)
        offsets = (quaternion_to_matrix(parents["quaternions"]) @ (noise.to(scales) * scales)[..., None])[..., 0]
        parents["means"] = parents["means"] + offsets
        parents["log_scales"] = parents["log_scales"] - math.log(0.8 * children)
        self.append({name: torch.cat([cloned[name], parents[name]]) for name in params}, optimizer)
        keep = torch.ones(len(self), dtype=torch.bool, device=self.device)
        keep[:len(split)] = ~split
        self.prune(keep, optimizer)

    @torch.no_grad()
    def reset_opacity(self, ceiling=0.01, optimizer=None):
        """Clamp every opacity to at most `ceiling` and forget its Adam moments, as the reference does."""
        logits = torch.minimum(self.opacity_logits, torch.logit(torch.tensor(ceiling)).to(self.opacity_logits))
        self._replace("opacity_logits", logits, optimizer, torch.zeros_like)

    def _replace(self, name, value, optimizer, edit_state):
        old = getattr(self, name)
        new = nn.Parameter(value.contiguous())
        if optimizer is not None:
            for group in optimizer.param_groups:
                group["params"] = [new if p is old else p for p in group["params"]]
            state = optimizer.state.pop(old, None)
            if state:
                optimizer.state[new] = {key: edit_state(v) if torch.is_tensor(v) and v.shape == old.shape else v
                                        for key, v in state.items()}
        setattr(self, name, new)


def mean_sq_neighbour_distance(points, k=3, chunk_bytes=1 << 26):
    """Mean squared distance from each point to its `k` nearest other points (exact). On the CPU a
    k-d tree (SfM clouds reach 100k points: seconds, not minutes); elsewhere in chunks of rows so
    that the distance block stays under `chunk_bytes`."""
    n = len(points)
    if n <= 1:
        return torch.ones(n, dtype=points.dtype, device=points.device)
    k = min(k, n - 1)
    if points.device.type == "cpu":
        from scipy.spatial import cKDTree

        array = points.detach().numpy().astype(np.float64)
        distances, _ = cKDTree(array).query(array, k=k + 1)  # the nearest is the point itself
        return torch.as_tensor(np.square(distances[:, 1:]).mean(1), dtype=points.dtype)
    rows = max(1, chunk_bytes // (4 * n))
    result = []
    for start in range(0, n, rows):
        block = torch.cdist(points[start:start + rows], points).square()
        diagonal = torch.arange(len(block), device=points.device)
        block[diagonal, diagonal + start] = float("inf")  # not itself
        result.append(block.topk(k, dim=1, largest=False).values.mean(1))
    return torch.cat(result)
