"""``python -m engine ...``: the engine's CLI without the web layer."""

from __future__ import annotations

import sys

from engine.cli import main

sys.exit(main())
