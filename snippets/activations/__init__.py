"""Activation functions (article: /activations/gelu/)."""
