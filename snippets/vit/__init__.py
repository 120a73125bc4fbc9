"""A from-scratch Vision Transformer and its digits experiments.

Plain PyTorch, with timm-compatible weights.
"""
