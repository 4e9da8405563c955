"""`manage.py reconstruct INPUT --method gaussian`: the reconstruction pipeline from the command line."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from captures.reconstruction.errors import ReconstructionError
from captures.reconstruction.pipeline import reconstruct


class ProgressBars:
    """One tqdm bar per stage, advanced by the pipeline's report(stage, done, total)."""

    def __init__(self):
        self.bar, self.stage = None, None

    def __call__(self, stage, done, total):
        if stage != self.stage:
            self.close()
            self.stage = stage
            self.bar = tqdm(total=total or None, desc=f"{stage:>8}", unit="step", dynamic_ncols=True)
        if total and self.bar.total != total:
            self.bar.total = total
        self.bar.n = done
        self.bar.refresh()

    def close(self):
        if self.bar is not None:
            self.bar.close()


class Command(BaseCommand):
    help = ("Reconstructs INPUT (a video, a folder of photos, a zip of photos or of a phone's capture with its "
            "transforms.json, or a NeRF-synthetic / LLFF dataset folder) into Gaussian splats: .ply, .splat, "
            "point cloud, orbit video, thumbnail, cameras.")

    def add_arguments(self, parser):
        parser.add_argument("input", type=Path)
        parser.add_argument("--method", choices=["gaussian"], default="gaussian")
        parser.add_argument("--iterations", type=int, default=3000)
        parser.add_argument("--save-iterations", type=int, nargs="*", default=[])
        parser.add_argument("--max-gaussians", type=int, default=300_000)
        parser.add_argument("--frames", type=int, default=100, help="frames taken from a video")
        parser.add_argument("--train-size", type=int, default=None,
                            help="most pixels on the long side of the training images "
                                 "(default: 480 on CPU, 1280 on CUDA; never enlarged)")
        parser.add_argument("--out", type=Path, default=Path("reconstruction"))

    def handle(self, *args, input, method, iterations, save_iterations, max_gaussians, frames, train_size, out,
               **options):
        if not input.exists():
            raise CommandError(f"{input} does not exist.")
        bars = ProgressBars()
        try:
            result = reconstruct(input, out, iterations=iterations, save_iterations=save_iterations,
                                 max_gaussians=max_gaussians, frame_count=frames, train_size=train_size,
                                 report=bars)
        except ReconstructionError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            bars.close()
        summary = {
            "ply": str(result.ply), "splat": str(result.splat), "sog": str(result.sog),
            **{f"ksplat-{level}": str(path) for level, path in result.ksplats.items()},
            "point_cloud": str(result.point_cloud),
            "video": str(result.video), "thumbnail": str(result.thumbnail), "cameras": str(result.cameras),
            "frames": result.frames, "registered": result.registered, "gaussians": result.num_gaussians,
            "cap_hit": result.cap_hit, "device": result.device, "poses": result.poses.method,
            "poses_note": result.poses.note, "seconds": {k: round(v, 1) for k, v in result.seconds.items()},
        }
        self.stdout.write(json.dumps(summary, indent=2))
