"""Blueprint "admin": definitions, editors, diffs, running work, incidents and people.

Admins only (the guard in ``_blueprint``). The views live in one module per area;
importing them here registers their routes on ``bp``.
"""

from __future__ import annotations

from web.admin import definitions, editor, formedit, instances, users
from web.admin._blueprint import bp

__all__ = ["bp", "definitions", "editor", "formedit", "instances", "users"]
