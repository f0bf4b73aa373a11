"""deadpixels: a reproduction of Kim et al., "Dead pixel test using effective receptive field" (2023)."""
from .erf import effective_rf, linearise, structural_erf
from .fitting import GaussianFit, fit_gaussian, imbalance_indices, lattice_ratio
from .kernel_padding import find_odd_stride_layers, kernel_pad
from .models import build_model
from .receptive_field import TheoreticalRF, theoretical_rf
from .results import load_or_run

__version__ = "0.1.0"
__all__ = ["effective_rf", "structural_erf", "linearise", "fit_gaussian", "GaussianFit", "imbalance_indices",
           "lattice_ratio", "kernel_pad", "find_odd_stride_layers", "build_model", "theoretical_rf", "TheoreticalRF",
           "load_or_run"]
