"""The registry: one object with the repositories of buildings, points, dead letters, findings,
daily health, users (with their API keys, sessions and the audit trail), and the energy ledger.

Each aggregate has a repository module of its own (:mod:`~byggpuls.registry.buildings`,
:mod:`~byggpuls.registry.points`, :mod:`~byggpuls.registry.dead_letters`,
:mod:`~byggpuls.registry.findings`, :mod:`~byggpuls.registry.health`,
:mod:`~byggpuls.registry.users` on :mod:`~byggpuls.registry.credentials`, with
:mod:`~byggpuls.registry.partners` on them,
:mod:`~byggpuls.registry.energy`); a service that needs
one of them may take that class alone. :class:`Registry` puts them on one engine for the services
that use several. Completeness accounting, which only ingest writes, is
:class:`~byggpuls.registry.accounting.Accounting`, on the same engine
(``Accounting(registry.engine)``).
"""

from __future__ import annotations

import sqlalchemy as sa

from byggpuls.registry.buildings import Buildings
from byggpuls.registry.dead_letters import DeadLetters
from byggpuls.registry.energy import EnergyHours
from byggpuls.registry.findings import Findings
from byggpuls.registry.health import HealthDays
from byggpuls.registry.models import Base
from byggpuls.registry.partners import Partners
from byggpuls.registry.points import Points


class Registry(Buildings, Points, DeadLetters, Findings, HealthDays, Partners, EnergyHours):
    """Buildings, points, dead letters, findings, daily health, users (with partners' grants
    and broker logins) and the energy ledger in the registry database.

    ``Registry(engine)`` or ``Registry(sessionmaker)``; see
    :class:`~byggpuls.registry._sql.Repository` for threads and errors.
    """

    def ping(self) -> None:
        """Check that the database answers and holds the registry's tables.

        One empty read per table, so that a database that answers but lost (or never had) the
        schema counts as down too; raises :class:`~byggpuls.errors.StoreUnavailable`.
        """
        with self._reading() as session:
            for table in Base.metadata.sorted_tables:
                session.execute(sa.select(sa.literal(1)).select_from(table).limit(0))
