"""Pictures a protocol makes (a VAE's latent grid, a convnet's heatmaps), saved as PNG
files beside the run's records, on request.

The run's context says where (``RunContext.images_dir``; the plugin's is
``<results>/images/<run id>``); a picture goes to ``<case id>/seed<N>-<name>.png``
under it, and the record keeps that path relative to the directory two levels up (the
results directory), so the report can show it. Each run keeps its own pictures: a
record never points at another run's.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def save_png(
    images_dir: Path | None, case_id: str, seed: int, name: str, pixels: np.ndarray
) -> str | None:
    """Write a picture (values in [0, 1]; (h, w) grey or (h, w, 3) colour) under
    ``images_dir``; its path relative to the results directory, or None where no
    pictures were asked for (``images_dir`` None)."""
    if images_dir is None:
        return None
    from PIL import Image  # matplotlib's own dependency

    root = images_dir.resolve()  # so that it has the two parents the record names
    path = root / case_id / f"seed{seed}-{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    levels = np.round(np.clip(pixels, 0.0, 1.0) * 255).astype(np.uint8)
    picture = Image.fromarray(levels)  # 2-d uint8: 8-bit grey, a quarter of RGBA
    if levels.ndim == 3:
        picture = picture.quantize(256)  # a palette: a third of RGB's bytes, and smaller still
    picture.save(path, optimize=True)
    return str(path.relative_to(root.parents[1]))
