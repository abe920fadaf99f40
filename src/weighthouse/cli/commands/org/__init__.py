"""Create organisations and manage their members.

An organisation is a namespace its members share: a member's role (read, write or admin)
covers every repo under it.
"""
