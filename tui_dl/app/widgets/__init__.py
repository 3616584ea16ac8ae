"""Thin widgets: they render core data and post messages; they never compute shapes or train."""
