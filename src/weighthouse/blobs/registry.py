"""Which driver a name means: the built-in ones, plus the ``weighthouse.blob_drivers`` entry points.

A plugin registers a factory, a callable taking keyword options and returning a driver::

    [project.entry-points."weighthouse.blob_drivers"]
    s3 = "weighthouse_s3.driver:S3BlobDriver"
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from importlib.metadata import EntryPoint, entry_points
from os import PathLike
from pathlib import Path

from weighthouse.blobs.driver import BlobDriver
from weighthouse.blobs.local import LocalBlobDriver
from weighthouse.blobs.memory import MemoryBlobDriver

ENTRY_POINT_GROUP = "weighthouse.blob_drivers"

DriverFactory = Callable[..., BlobDriver]


class BlobDriverConfigError(ValueError):
    """A driver name is unknown or registered twice, or its options are wrong."""


def _local(*, root: str | PathLike[str]) -> BlobDriver:
    return LocalBlobDriver(Path(root))


def _memory() -> BlobDriver:
    return MemoryBlobDriver()


BUILTIN_DRIVERS: Mapping[str, DriverFactory] = {"local": _local, "memory": _memory}


def available_drivers(
    plugins: Iterable[EntryPoint] | None = None,
) -> dict[str, DriverFactory | EntryPoint]:
    """Every driver name, mapped to its factory (plugins stay unloaded until used).

    ``plugins`` defaults to the installed ``weighthouse.blob_drivers`` entry points. Raises
    :class:`BlobDriverConfigError` when two drivers claim one name.
    """
    found: dict[str, DriverFactory | EntryPoint] = dict(BUILTIN_DRIVERS)
    for plugin in entry_points(group=ENTRY_POINT_GROUP) if plugins is None else plugins:
        known = found.get(plugin.name)
        # The same entry point seen twice (one distribution on two paths) is not a clash.
        if known is not None and not (isinstance(known, EntryPoint) and known == plugin):
            raise BlobDriverConfigError(f"blob driver {plugin.name!r} is registered twice")
        found[plugin.name] = plugin
    return found


def create_driver(name: str, **options: object) -> BlobDriver:
    """Build the driver called ``name`` with ``options`` (``local`` takes ``root``).

    The driver comes unwrapped: wrap it once in :class:`~weighthouse.blobs.checked.CheckedDriver`
    (``ContentBlobStore`` does so itself when given a bare driver). Raises
    :class:`BlobDriverConfigError` for an unknown name or options the factory rejects.
    """
    drivers = available_drivers()
    factory = drivers.get(name)
    if factory is None:
        known = ", ".join(sorted(drivers))
        raise BlobDriverConfigError(f"unknown blob driver {name!r}; known: {known}")
    if isinstance(factory, EntryPoint):
        factory = factory.load()
    try:
        driver = factory(**options)
    except TypeError as exc:
        raise BlobDriverConfigError(f"bad options for blob driver {name!r}: {exc}") from exc
    return driver
