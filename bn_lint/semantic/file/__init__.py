"""The file model: one walk of a file into imports, scopes, bindings, classes, call sites, layer calls."""
