"""A model evaluated in training mode, or its mode flag set by hand: the BN101-BN103 queries over the mode flow."""
