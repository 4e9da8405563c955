"""Writing frames as a web-playable mp4, for every domain's turntables and animations."""

from __future__ import annotations

import imageio_ffmpeg
import numpy as np


def write_video(frames, path, fps=30):
    """Encode (H, W, 3) uint8 frames as H.264 yuv420p mp4 (web playable: moov atom first).

    yuv420p needs even sizes, so odd frames get their last row/column repeated. `frames` may be any
    iterable (a generator keeps only one frame in memory). Returns `path`.
    """
    writer = None
    try:
        for frame in frames:
            frame = np.asarray(frame, dtype=np.uint8)
            frame = np.pad(frame, ((0, frame.shape[0] % 2), (0, frame.shape[1] % 2), (0, 0)), mode="edge")
            if writer is None:
                writer = imageio_ffmpeg.write_frames(str(path), (frame.shape[1], frame.shape[0]), fps=fps,
                                                     codec="libx264", pix_fmt_out="yuv420p", macro_block_size=1,
                                                     output_params=["-movflags", "+faststart"])
                writer.send(None)
            writer.send(np.ascontiguousarray(frame))
    finally:
        if writer is not None:
            writer.close()
    if writer is None:
        raise ValueError("write_video needs at least one frame")
    return path
