"""The chain interpreter: which layer feeds each BatchNorm, with what width and rank (BN2xx)."""
