"""One module per article.

``snippets/articles/<section>/<slug>.py`` holds the listings only that page shows and
every build job of that page (``docs/<section>/<slug>.<lang>.md``; hyphens in a slug
become underscores). Library code that articles share lives outside this package, in
modules named for what they are. ``tests/test_layout.py`` checks the rule.
"""
