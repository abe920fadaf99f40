"""The domain core: model, errors, ports and use cases. Standard library only."""
