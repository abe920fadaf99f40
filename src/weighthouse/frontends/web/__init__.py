"""The web front-end: server-rendered pages under ``/ui`` for people with a browser.

Pages call the same use cases as the API, with the caller a cookie session turns into; every
form carries the session's CSRF token, and every response forbids inline script.
"""
