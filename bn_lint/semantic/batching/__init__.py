"""Batch sizes, data loaders, dataset lengths and distribution: the facts behind the BN3xx rules."""
