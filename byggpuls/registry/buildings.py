"""The buildings of the portfolio: described by gateways, or placeholders made from their data."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from byggpuls.reading import BuildingInfo, BuildingType
from byggpuls.registry import _checks as check
from byggpuls.registry import _sql as sql
from byggpuls.registry.errors import InvalidValue
from byggpuls.registry.models import BUILDINGS, Building
from byggpuls.registry.rows import BuildingRow

#: What a building's description consists of; an upsert changes the row only if one differs.
DESCRIBED: Final = ("name", "type", "floor_area_m2", "address")


class Buildings(sql.Repository):
    """Buildings in the registry database (see :class:`~byggpuls.registry._sql.Repository`)."""

    def upsert_building(self, info: BuildingInfo) -> None:
        """Add a building or update its description (also of a placeholder made from data)."""
        if not info.name:
            raise InvalidValue(f"building {info.id!r} needs a name")
        now = check.now_utc()
        values = {
            "id": check.building_id(info.id),
            "name": check.text(info.name),
            "type": check.building_type(info.type),
            "floor_area_m2": check.finite(info.floor_area_m2, what="floor_area_m2"),
            "address": check.text(info.address),
            "created_at": now,
            "updated_at": now,
        }
        with self._writing() as conn:
            stmt = sql.insert(conn, BUILDINGS).values(values)
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=[BUILDINGS.c.id],
                    set_={name: stmt.excluded[name] for name in (*DESCRIBED, "updated_at")},
                    where=sa.or_(
                        *(
                            BUILDINGS.c[name].is_distinct_from(stmt.excluded[name])
                            for name in DESCRIBED
                        )
                    ),
                )
            )

    def buildings(self) -> list[BuildingRow]:
        """Every building, by id."""
        with self._reading() as session:
            rows = session.scalars(sa.select(Building).order_by(Building.id))
            return [sql.detached(BuildingRow, row) for row in rows]

    def building(self, id: str) -> BuildingRow | None:
        """The building ``id``, or None."""
        with self._reading() as session:
            row = session.get(Building, id)
            return None if row is None else sql.detached(BuildingRow, row)


def ensure_buildings(conn: Connection, ids: Sequence[str], now: datetime) -> None:
    """Create placeholders for buildings not in the registry yet, in ``conn``'s transaction.

    Data for a building nobody described is kept under a placeholder (named by its id, type
    ``other``) that a later :meth:`Buildings.upsert_building` fills in.
    """
    rows = [
        {
            "id": id_,
            "name": id_,
            "type": BuildingType.OTHER.value,
            "created_at": now,
            "updated_at": now,
        }
        for id_ in sorted(set(ids))
    ]
    if rows:
        conn.execute(
            sql.insert(conn, BUILDINGS).on_conflict_do_nothing(index_elements=["id"]), rows
        )
