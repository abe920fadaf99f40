"""``python -m tests.acceptance.apps_serve serve …``: the real server whose job workers can also
import the embed app's libraries (torch, transformers) from the cached apps environment.

The folder named by ``WEIGHTHOUSE_TEST_APPS_SITE`` goes at the *end* of ``sys.path``, so every
package the server itself needs still comes from this environment and only what is missing here
(torch, transformers, tokenizers…) is found there. Uvicorn's worker processes are spawned and
inherit ``sys.path``.
"""

from __future__ import annotations

import os
import sys

APPS_SITE = "WEIGHTHOUSE_TEST_APPS_SITE"

if __name__ == "__main__":
    sys.path.append(os.environ[APPS_SITE])

    from weighthouse.cli.main import main

    main()
