"""Articles on natural-language building blocks: /nlp/embedding/."""
