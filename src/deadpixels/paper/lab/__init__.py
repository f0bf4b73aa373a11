"""The lab: what the paper's experiments are made of. Data (embedded images, the paper's datasets),
models (torchvision ResNets, EfficientNet-Lite, their kernel-padded and BlurPool variants),
training, perturbation probes, the paper's published numbers, and the one measurement path for a
trained classifier. It imports only the core."""
