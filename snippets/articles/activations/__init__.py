"""The activations section's articles: one module per page (see snippets/articles/)."""
