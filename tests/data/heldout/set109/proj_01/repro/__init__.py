"""Minimal repro package for: eval accuracy differs between num_workers=0 and 4."""
