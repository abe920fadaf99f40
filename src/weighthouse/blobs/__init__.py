"""Blob storage in two levels.

Level 1, the driver (:mod:`~weighthouse.blobs.driver`), stores bytes at keys and knows nothing of
digests: :class:`~weighthouse.blobs.local.LocalBlobDriver`,
:class:`~weighthouse.blobs.memory.MemoryBlobDriver`, or a plugin from the
``weighthouse.blob_drivers`` entry-point group, each wrapped once in
:class:`~weighthouse.blobs.checked.CheckedDriver`. Level 2,
:class:`~weighthouse.blobs.content.ContentBlobStore`, names bytes by their SHA-256 on top of any
driver and implements the domain's ``BlobStore`` port.
"""
