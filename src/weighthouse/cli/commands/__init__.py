"""One module per command; a subpackage per command group (``repo/create.py`` is
``weighthouse repo create``). Each module defines ``command``, a ``click.Command``."""
