"""Pictures a protocol makes (a VAE's latent grid, a convnet's heatmaps), saved as PNG
files beside the run's records, on request.

The plugin sets ``$DLWP_IMAGES_DIR`` to ``<results>/images/<run id>`` (it loads no
framework); a picture goes to ``<case id>/seed<N>-<name>.png`` under it, and the record
keeps that path relative to the results directory, so the report can show it. Each run
keeps its own pictures: a record never points at another run's.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

ENV = "DLWP_IMAGES_DIR"


def save_png(case_id: str, seed: int, name: str, pixels: np.ndarray) -> str | None:
    """Write a picture (values in [0, 1]; (h, w) grey or (h, w, 3) colour) if pictures
    were asked for; its path relative to the results directory, else None."""
    root = os.environ.get(ENV)
    if not root:
        return None
    from PIL import Image  # matplotlib's own dependency

    path = Path(root) / case_id / f"seed{seed}-{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    levels = np.round(np.clip(pixels, 0.0, 1.0) * 255).astype(np.uint8)
    picture = Image.fromarray(levels)  # 2-d uint8: 8-bit grey, a quarter of RGBA
    if levels.ndim == 3:
        picture = picture.quantize(256)  # a palette: a third of RGB's bytes, and smaller still
    picture.save(path, optimize=True)
    return str(path.relative_to(Path(root).parents[1]))
