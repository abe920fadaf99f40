"""Weighthouse: a self-hosted hub for model weights, datasets and buckets."""

__version__ = "0.1.0"
