"""The figures ``python -m deadpixels check`` writes: the structural ERF before and after kernel
padding, whole and its centre, and with ``--images`` the trained ERF beside the structural one."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .plotting import erf_image, styled


@styled
def erf_pair_figure(before: np.ndarray, after: np.ndarray, title: str, zoom: int = 32) -> plt.Figure:
    fig, axes = plt.subplots(1, 4, figsize=(11, 3))
    erf_image(axes[0], before, "before KP")
    erf_image(axes[1], before, f"before KP, central {zoom} px", zoom)
    erf_image(axes[2], after, "after KP")
    erf_image(axes[3], after, f"after KP, central {zoom} px", zoom)
    fig.suptitle(title, fontsize=10)
    return fig


@styled
def erf_single_figure(R: np.ndarray, title: str, zoom: int = 32) -> plt.Figure:
    """One ERF map, whole and its central ``zoom`` pixels (where kernel padding does not apply)."""
    fig, axes = plt.subplots(1, 2, figsize=(6, 3))
    erf_image(axes[0], R, "structural ERF")
    erf_image(axes[1], R, f"central {zoom} px", zoom)
    fig.suptitle(title, fontsize=10)
    return fig


@styled
def erf_trained_figure(trained: np.ndarray, structural: np.ndarray | None, title: str, zoom: int = 32) -> plt.Figure:
    """The trained ERF on the user's images, its central ``zoom`` pixels, and the structural ERF."""
    fig, axes = plt.subplots(1, 3 if structural is not None else 2, figsize=(9 if structural is not None else 6, 3))
    erf_image(axes[0], trained, "trained ERF")
    erf_image(axes[1], trained, f"its central {zoom} px", zoom)
    if structural is not None:
        erf_image(axes[2], structural, "structural ERF")
    fig.suptitle(f"{title}: your images (left), no weights (right)", fontsize=10, y=1.04)
    return fig


__all__ = ["erf_pair_figure", "erf_single_figure", "erf_trained_figure"]
