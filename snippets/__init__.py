"""Model Notes: the tested code behind every article.

Models, data, experiments and build jobs.
"""
