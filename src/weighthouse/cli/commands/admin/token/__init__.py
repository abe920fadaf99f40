"""Create, list and revoke API tokens of any user (site admins).

For your own tokens, 'weighthouse token' does the same without --user.
"""
