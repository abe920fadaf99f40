"""Manage users and API tokens.

Users are for site admins; anyone may manage their own tokens.
"""
