"""Model Notes: the tested code behind every article (models, data, experiments, build jobs)."""
