"""The static analyses behind the rules: one semantic model per file and the value flows built on it."""
