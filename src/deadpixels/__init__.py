"""deadpixels: receptive-field tools for CNNs, and a reproduction of Kim et al., "Dead pixel test
using effective receptive field" (Pattern Recognition Letters, 2023).

The core (this package) needs only torch, numpy, scipy and tqdm:

* :mod:`deadpixels.graph`: tracing, cutting, BatchNorm folding and linearising with torch.fx;
* :mod:`deadpixels.receptive_field`: the theoretical receptive field (size, stride, padding);
* :mod:`deadpixels.erf`: the effective receptive field (Algorithm 1) and the structural ERF;
* :mod:`deadpixels.fitting`: Gaussian fit, imbalance indices L1/L2, lattice ratio;
* :mod:`deadpixels.kernel_padding`: exact kernel padding and the odd-kernel/even-stride finder;
* :mod:`deadpixels.dead_pixels`: the dead-pixel test of any architecture (no weights, no data).

The paper's machinery (data, models, training, experiments, results cache, claims, the book's
helpers and the command line) lives in :mod:`deadpixels.paper`, which is imported only on demand.
"""

from .dead_pixels import DeadPixelReport, dead_pixel_test
from .erf import effective_rf, structural_erf
from .fitting import GaussianFit, fit_gaussian, imbalance_indices, lattice_phase_means, lattice_ratio, mean_sigma
from .kernel_padding import find_odd_stride_layers, kernel_pad
from .linearised import linearise
from .operations import Window, register_layer, unregister_layer
from .receptive_field import TheoreticalRF, theoretical_rf

__version__ = "0.2.0"
__all__ = [
    "register_layer",
    "unregister_layer",
    "Window",
    "dead_pixel_test",
    "DeadPixelReport",
    "effective_rf",
    "structural_erf",
    "linearise",
    "fit_gaussian",
    "GaussianFit",
    "mean_sigma",
    "imbalance_indices",
    "lattice_phase_means",
    "lattice_ratio",
    "kernel_pad",
    "find_odd_stride_layers",
    "theoretical_rf",
    "TheoreticalRF",
]
