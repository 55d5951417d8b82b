"""The Engine facade: the whole public API, one transaction per public method.

The methods live in small topic modules (identity, definitions, runtime, jobs, queries,
audit, admin, deadlines); this class only puts them together. ``engine/_base.py`` holds the transaction helper.
"""

from __future__ import annotations

from engine._admin_api import AdminAPI
from engine._audit_api import AuditAPI
from engine._deadlines_api import DeadlinesAPI
from engine._definitions_api import DefinitionsAPI
from engine._identity_api import IdentityAPI
from engine._jobs_api import JobsAPI
from engine._queries_api import QueriesAPI
from engine._runtime_api import RuntimeAPI
from engine.schema import upgrade


class Engine(IdentityAPI, DefinitionsAPI, DeadlinesAPI, JobsAPI, RuntimeAPI, QueriesAPI,
             AuditAPI, AdminAPI):
    """Deploy definitions, run instances, serve inboxes, and record everything."""

    def upgrade_schema(self) -> None:
        """Create or migrate the database schema to the newest revision (idempotent)."""
        upgrade(self.sessions)
