"""The ``weighthouse`` command line."""
