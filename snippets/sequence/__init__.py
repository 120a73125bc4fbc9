"""Sequence models (articles: /sequence/lstm-airline/, /sequence/tcn/)."""
