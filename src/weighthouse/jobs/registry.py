"""Installed apps: entry points of the ``weighthouse.apps`` group, or ``module:Class`` paths,
chosen by ``settings.jobs.apps`` (the replaced worker API's ``INSTALLED_APPS``)."""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from weighthouse.apps.contract import App
from weighthouse.domain.jobs_model import AppSpec

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

GROUP = "weighthouse.apps"
INPUT_KINDS = frozenset({"model", "dataset", "bucket", "any"})


class AppLoadError(ValueError):
    """An installed app names nothing, cannot be imported, or declares itself wrongly."""


def load_apps(names: Sequence[str] | None) -> dict[str, App]:
    """One instance of each app, by name; ``None`` loads every app of the entry-point group.
    Raises :class:`AppLoadError` for an unknown or malformed app, or two apps of one name."""
    found = _installed() if names is None or any(":" not in n for n in names) else {}
    wanted = sorted(found) if names is None else list(names)
    apps: dict[str, App] = {}
    for name in wanted:
        if ":" in name:
            module, _, attr = name.partition(":")
            try:
                factory = getattr(importlib.import_module(module), attr)
            except (ImportError, AttributeError) as exc:
                raise AppLoadError(f"cannot import the app {name!r}: {exc}") from exc
        elif name in found:
            factory = found[name].load()
        else:
            raise AppLoadError(f"no app {name!r} in the entry-point group {GROUP!r}")
        app = factory() if isinstance(factory, type) else factory
        spec_of(app)
        if app.name in apps:
            raise AppLoadError(f"two apps are named {app.name!r}")
        apps[app.name] = app
    return apps


def _installed() -> dict[str, EntryPoint]:
    # Imported here: importlib.metadata brings email, csv and zipfile (1.3 MiB), which an app
    # process, loading its one app by module and class, never needs.
    from importlib.metadata import entry_points

    return {ep.name: ep for ep in entry_points(group=GROUP)}


def spec_of(app: App) -> AppSpec:
    """What the domain needs of ``app``; its queue is ``app.queue`` if it has one, else its
    name."""
    name = getattr(app, "name", None)
    if not isinstance(name, str) or not name.isidentifier() or len(name) > 64:
        raise AppLoadError(
            f"an app's name must be an identifier of at most 64 characters: {name!r}"
        )
    inputs: Mapping[str, str] = app.inputs
    bad = sorted(kind for kind in inputs.values() if kind not in INPUT_KINDS)
    if bad:
        raise AppLoadError(f"app {name!r} declares an input of unknown kind {bad[0]!r}")
    if app.time_limit_seconds <= 0 or app.max_attempts < 1:
        raise AppLoadError(f"app {name!r} needs a positive time limit and at least one attempt")
    queue = getattr(app, "queue", name)
    return AppSpec(
        name=name,
        queue=str(queue),
        inputs=dict(inputs),
        parameters_schema=dict(app.parameters_schema),
        time_limit_seconds=float(app.time_limit_seconds),
        max_attempts=int(app.max_attempts),
        description=str(app.description),
    )
