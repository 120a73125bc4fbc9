"""A from-scratch Vision Transformer (plain PyTorch, timm-compatible weights) and its digits experiments."""
