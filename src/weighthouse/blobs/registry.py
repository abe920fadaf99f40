"""Which driver a name means, and how its own settings section is read.

A driver is described by a :class:`DriverSpec`: its name, a pydantic model of its settings
section (``WEIGHTHOUSE_BLOBS__<NAME>__<KEY>``), and a factory taking the validated section and a
:class:`DriverContext`. The built-in drivers declare their spec in their own module; a plugin
points an entry point of the ``weighthouse.blob_drivers`` group at its spec::

    [project.entry-points."weighthouse.blob_drivers"]
    s3 = "weighthouse_s3.driver:SPEC"

so adding a driver touches no other module. Two drivers claiming one name is an error, as in
distribution's driver factory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from weighthouse.blobs.driver import BlobDriver

ENTRY_POINT_GROUP = "weighthouse.blob_drivers"

S = TypeVar("S", bound=BaseModel)


class BlobDriverConfigError(ValueError):
    """A driver name is unknown or registered twice, or its settings section is wrong."""


@dataclass(frozen=True)
class DriverContext:
    """What any driver may use besides its own section: the server's data directory, where
    local state lives by default."""

    data_dir: Path


@dataclass(frozen=True)
class DriverSpec(Generic[S]):
    """How to build one kind of driver. ``settings`` validates the section; its fields are the
    keys an operator may set. ``factory`` builds an unwrapped driver."""

    name: str
    settings: type[S]
    factory: Callable[[S, DriverContext], BlobDriver]
    description: str = ""

    def create(self, section: Mapping[str, Any], context: DriverContext) -> BlobDriver:
        """Validate ``section`` and build the driver; raises :class:`BlobDriverConfigError`."""
        try:
            options = self.settings.model_validate(dict(section))
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or '(section)'}: {err['msg']}"
                for err in exc.errors()
            )
            raise BlobDriverConfigError(
                f"bad settings for blob driver {self.name!r}: {problems}"
            ) from None
        return self.factory(options, context)


def builtin_specs() -> tuple[DriverSpec[Any], ...]:
    """The drivers that ship with Weighthouse."""
    # Imported here so that listing plugins does not load every driver module.
    from weighthouse.blobs.local import SPEC as LOCAL
    from weighthouse.blobs.memory import SPEC as MEMORY

    return (LOCAL, MEMORY)


class DriverRegistry:
    """Driver names mapped to their specs: the built-in ones plus the installed plugins.

    Plugins stay unloaded until asked for. Raises :class:`BlobDriverConfigError` when two
    drivers claim one name (the same entry point seen twice, one distribution on two paths,
    is not a clash).
    """

    def __init__(
        self,
        builtins: Iterable[DriverSpec[Any]] | None = None,
        plugins: Iterable[EntryPoint] | None = None,
    ) -> None:
        self._found: dict[str, DriverSpec[Any] | EntryPoint] = {}
        for spec in builtin_specs() if builtins is None else builtins:
            if spec.name in self._found:
                raise BlobDriverConfigError(f"blob driver {spec.name!r} is registered twice")
            self._found[spec.name] = spec
        for plugin in entry_points(group=ENTRY_POINT_GROUP) if plugins is None else plugins:
            known = self._found.get(plugin.name)
            if known is not None and not (isinstance(known, EntryPoint) and known == plugin):
                raise BlobDriverConfigError(f"blob driver {plugin.name!r} is registered twice")
            self._found[plugin.name] = plugin

    def names(self) -> list[str]:
        return sorted(self._found)

    def spec(self, name: str) -> DriverSpec[Any]:
        """The spec of ``name``, loading a plugin if need be. Raises
        :class:`BlobDriverConfigError` for an unknown name or a plugin that is not a spec."""
        found = self._found.get(name)
        if found is None:
            known = ", ".join(self.names())
            raise BlobDriverConfigError(f"unknown blob driver {name!r}; known: {known}")
        if isinstance(found, EntryPoint):
            loaded = found.load()
            if not isinstance(loaded, DriverSpec) or loaded.name != name:
                raise BlobDriverConfigError(
                    f"entry point {found.value!r} of blob driver {name!r} is not a "
                    f"DriverSpec named {name!r}"
                )
            self._found[name] = found = loaded
        return found

    def create(self, name: str, section: object, context: DriverContext) -> BlobDriver:
        """Build the driver ``name`` from its settings ``section``, unwrapped: wrap it once in
        :class:`~weighthouse.blobs.checked.CheckedDriver` (``ContentBlobStore`` does so itself
        when given a bare driver). Raises :class:`BlobDriverConfigError`."""
        if not isinstance(section, Mapping):
            # The value is not echoed: a misplaced secret must not reach the logs.
            raise BlobDriverConfigError(
                f"the settings of blob driver {name!r} must be a section of keys "
                f"(WEIGHTHOUSE_BLOBS__{name.upper()}__<KEY>)"
            )
        return self.spec(name).create(section, context)
