"""Create, list and delete buckets (objects move with 'cp', 'sync', 'rm' and 'stat')."""
