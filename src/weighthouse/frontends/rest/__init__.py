"""The REST API: JSON over HTTP, documented by OpenAPI at ``/docs``."""
