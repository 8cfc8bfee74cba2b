"""Frozen BatchNorm that still updates: the BN105 queries."""
