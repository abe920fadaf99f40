"""Manage the catalog database."""
