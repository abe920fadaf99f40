"""Manage users and their API tokens (site admins).

Your own tokens are managed with 'weighthouse token'.
"""
