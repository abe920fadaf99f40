"""Create and list users (site admins only)."""
