"""The paper's published numbers (Kim et al. 2023, Tables 1-6), for side-by-side comparison.
These are the paper's values, never ours; our numbers come from data/results."""

from __future__ import annotations

import pandas as pd

#: Table 1: ImageNet-pretrained models, ERF on the CUB-200-2011 test set, stage-4 target.
TABLE1 = {
    "resnet18": {"acc5": 89.078, "trf": 435, "sigma_x": 76.534, "sigma_y": 73.662, "r2": 0.908},
    "resnet34": {"acc5": 91.420, "trf": 899, "sigma_x": 96.148, "sigma_y": 97.242, "r2": 0.785},
    "resnet50": {"acc5": 92.862, "trf": 427, "sigma_x": 64.820, "sigma_y": 62.208, "r2": 0.945},
    "resnet101": {"acc5": 93.546, "trf": 971, "sigma_x": 60.061, "sigma_y": 60.679, "r2": 0.937},
    "resnext50_32x4d": {"acc5": 93.698, "trf": 427, "sigma_x": 70.921, "sigma_y": 67.679, "r2": 0.908},
    "resnet152": {"acc5": 94.046, "trf": 1451, "sigma_x": 60.589, "sigma_y": 58.738, "r2": 0.930},
    "wide_resnet50_2": {"acc5": 94.086, "trf": 427, "sigma_x": 58.415, "sigma_y": 60.676, "r2": 0.954},
    "wide_resnet101_2": {"acc5": 94.284, "trf": 971, "sigma_x": 56.900, "sigma_y": 59.888, "r2": 0.944},
    "resnext101_32x8d": {"acc5": 94.526, "trf": 971, "sigma_x": 77.664, "sigma_y": 77.047, "r2": 0.889},
}
#: Table 2: after fine-tuning on Caltech-101.
TABLE2 = {
    "resnet18": {"test_acc": 91.83, "sigma_x": 68.439, "sigma_y": 71.996, "r2": 0.953},
    "resnet34": {"test_acc": 92.71, "sigma_x": 78.291, "sigma_y": 81.658, "r2": 0.907},
    "resnet101": {"test_acc": 92.71, "sigma_x": 57.916, "sigma_y": 60.300, "r2": 0.933},
    "wide_resnet50_2": {"test_acc": 94.31, "sigma_x": 57.862, "sigma_y": 63.025, "r2": 0.963},
    "resnet50": {"test_acc": 94.38, "sigma_x": 56.528, "sigma_y": 59.245, "r2": 0.962},
    "resnet152": {"test_acc": 94.60, "sigma_x": 58.907, "sigma_y": 60.345, "r2": 0.916},
    "resnext50_32x4d": {"test_acc": 94.97, "sigma_x": 61.416, "sigma_y": 63.959, "r2": 0.951},
    "wide_resnet101_2": {"test_acc": 94.97, "sigma_x": 60.325, "sigma_y": 64.184, "r2": 0.935},
    "resnext101_32x8d": {"test_acc": 95.40, "sigma_x": 64.720, "sigma_y": 67.788, "r2": 0.912},
}
#: Table 3: L1 index of the output ERF.
TABLE3 = pd.DataFrame(
    {
        "R-50": [0.195, 0.164, 0.120, 0.095],
        "R-101": [0.187, 0.119, 0.090, 0.081],
        "W-50": [0.207, 0.149, 0.156, 0.134],
        "W-101": [0.359, 0.270, 0.193, 0.119],
        "X-50": [0.256, 0.238, 0.168, 0.150],
        "X-101": [0.205, 0.179, 0.238, 0.116],
    },
    index=["vanilla", "noise", "blurpool", "kp"],
)
#: Table 4: Caltech-101 test accuracy (%), mean of 3 runs.
TABLE4 = pd.DataFrame(
    {"before": [95.28, 95.14, 95.58], "after": [94.07, 94.09, 94.75], "diff": [-1.22, -1.05, -0.83]},
    index=["resnet101", "wide_resnet101_2", "resnext101_32x8d"],
)
#: Table 5: std over the 25 pixels of R_XY and MD (Oxford-IIIT Pet).
TABLE5 = pd.DataFrame(
    {
        "item": ["std(R_XY)"] * 3 + ["std(MD)"] * 3,
        "model": ["R-101", "W-101", "X-101"] * 2,
        "before": [0.3700, 0.5713, 0.3898, 0.0736, 0.0575, 0.0770],
        "after": [0.1937, 0.2485, 0.1619, 0.0240, 0.0164, 0.0304],
    }
)
#: Fig. 5: R^2 between R_XY and MD over the 25 pixels before KP.
FIG5_R2 = 0.7507
#: Table 6: micro-object task, mean first epoch with test accuracy > 90% (5 runs).
TABLE6 = pd.DataFrame(
    {"before": [28.2, 28.0, 21.8], "after": [10.2, 14.2, 8.8], "diff": [-18.0, -13.8, -13.0]},
    index=["resnet101", "wide_resnet101_2", "resnext101_32x8d"],
)
#: Table 1's TRF column (stage-4 output, 224 x 224 input), by torchvision model name.
PAPER_TRF: dict[str, int] = {m: int(v["trf"]) for m, v in TABLE1.items()}
