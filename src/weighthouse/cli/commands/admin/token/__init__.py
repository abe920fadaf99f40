"""Create, list and revoke API tokens."""
