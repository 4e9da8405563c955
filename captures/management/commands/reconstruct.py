"""`manage.py reconstruct INPUT --method gaussian`: the reconstruction pipeline from the command line."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from captures.reconstruction import presets
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
        parser.add_argument("--preset", choices=[*presets.NAMES, presets.CUSTOM], default=presets.DEFAULT,
                            help="quality: iterations, training size, splat budget and frames, per device "
                                 "(default: standard; `--iterations` alone means custom)")
        parser.add_argument("--iterations", type=int, default=None, help="instead of the preset's")
        parser.add_argument("--save-iterations", type=int, nargs="*", default=[])
        parser.add_argument("--max-gaussians", type=int, default=None, help="instead of the preset's")
        parser.add_argument("--frames", type=int, default=None, help="frames taken from a video, instead of the "
                                                                     "preset's")
        parser.add_argument("--train-size", type=int, default=None,
                            help="most pixels on the long side of the training images, instead of the preset's "
                                 "(never enlarged)")
        parser.add_argument("--hold-out", type=int, default=None, metavar="N",
                            help="keep every N-th view out of training and print the model's PSNR on those")
        parser.add_argument("--out", type=Path, default=Path("reconstruction"))

    def handle(self, *args, input, method, preset, iterations, save_iterations, max_gaussians, frames, train_size,
               hold_out, out, **options):
        if not input.exists():
            raise CommandError(f"{input} does not exist.")
        if hold_out is not None and hold_out < 2:
            raise CommandError("--hold-out must be 2 or more: every N-th view is kept out of training.")
        chosen = presets.preset(preset, presets.device_kind(), iterations=iterations)
        self.stdout.write(f"{chosen.label}: {chosen.iterations:,} iterations, training images at most "
                          f"{chosen.train_size} px, up to {max_gaussians or chosen.max_gaussians:,} splats")
        bars = ProgressBars()
        try:
            result = reconstruct(input, out, preset=chosen, save_iterations=save_iterations,
                                 max_gaussians=max_gaussians, frame_count=frames, train_size=train_size,
                                 hold_out_every=hold_out, report=bars)
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
            "preset": result.preset, "iterations": result.iterations, "train_size": result.train_size,
        }
        if result.held_out:
            summary["held_out_psnr"] = {name: round(value, 2) for name, value in result.held_out.items()}
            summary["held_out_mean_psnr"] = round(sum(result.held_out.values()) / len(result.held_out), 2)
        self.stdout.write(json.dumps(summary, indent=2))
