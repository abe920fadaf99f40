"""The S3 API: translates the S3 protocol onto the core's buckets, credentials and permission
service. It decides nothing itself (see ``app.py`` for the shape of a request)."""
