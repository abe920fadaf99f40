"""Adapters for the security ports: password hashing, rate limiting and session signing.

``passwords`` hashes with argon2id behind a concurrency cap; ``ratelimit`` counts attempts in a
sliding window, per process or in Redis; ``sessions`` signs session tokens with an HMAC key
ring kept in a file outside the catalog.
"""
