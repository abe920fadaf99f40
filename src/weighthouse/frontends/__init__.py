"""Protocol front-ends. Each translates its wire protocol onto the same use cases and maps the
same domain errors onto its own error format. None imports the adapters."""
