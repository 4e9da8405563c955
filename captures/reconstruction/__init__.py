"""Pure reconstruction code: frames, camera poses, Gaussian splatting, export. Never imports Django."""
