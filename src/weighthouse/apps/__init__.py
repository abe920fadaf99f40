"""Apps: pluggable work the job runner runs on stored models and files.

An app implements :class:`weighthouse.apps.contract.App` and is registered under the
``weighthouse.apps`` entry-point group; a setting enables it by name. Apps see repos only
through the :class:`~weighthouse.apps.contract.AppContext` the runner hands them, so they never
touch the catalog, the blob store or the network on their own.
"""
