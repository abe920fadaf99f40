"""Create, list and delete repos (models, datasets and buckets), and share them."""
