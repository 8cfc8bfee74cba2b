"""Syntax trees and what they say without context: the quick tree, positions, walks, constants."""
