"""Norwegian-sounding building names and Bergen addresses for simulated buildings.

The names combine Bergen place names with the building type; they are made up, and any likeness
to a real building's name or address is a coincidence of the place names.
"""

from __future__ import annotations

from typing import Final

from byggpuls.reading import BuildingType
from simulation.noise import draws

PLACES: Final = (
    "Sandviken", "Møhlenpris", "Nygård", "Årstad", "Landås", "Minde", "Fyllingsdalen",
    "Laksevåg", "Loddefjord", "Åsane", "Fana", "Nesttun", "Paradis", "Hop", "Kalfaret",
    "Nordnes", "Skansen", "Kronstad", "Slettebakken", "Ytrebygda", "Arna", "Ulset", "Tertnes",
    "Ådland", "Kirkevoll", "Storetveit", "Natland", "Rådal", "Søreide", "Ytre Arna",
    "Indre Arna", "Hetlevik", "Olsvik", "Kjøkkelvik", "Bønes", "Sletten", "Haukeland",
    "Mjølkeråen", "Salhus", "Eidsvåg", "Hordvik", "Breistein", "Flaktveit", "Toppe",
    "Lone", "Espeland", "Skjold", "Sædal", "Kråkenes", "Blomsterdalen",
)  # fmt: skip

_SUFFIX: Final = {
    BuildingType.SCHOOL: "{place} skole",
    BuildingType.KINDERGARTEN: "{place} barnehage",
    BuildingType.NURSING_HOME: "{place} sykehjem",
    BuildingType.OFFICE: "{place} kontorbygg",
    BuildingType.SPORTS_HALL: "{place} idrettshall",
}

_STREETS: Final = (
    ("Kalfarveien", "5018"), ("Møllendalsveien", "5009"), ("Inndalsveien", "5063"),
    ("Fjøsangerveien", "5054"), ("Nordåsvegen", "5235"), ("Loddefjordveien", "5171"),
    ("Åsamyrane", "5116"), ("Sandviksveien", "5035"), ("Haukelandsveien", "5009"),
    ("Storetveitvegen", "5067"), ("Nattlandsveien", "5093"), ("Kirkevollen", "5232"),
    ("Ulsetskogen", "5117"), ("Hetlevikåsen", "5179"), ("Olsvikåsen", "5183"),
    ("Michael Krohns gate", "5031"), ("Nygårdsgaten", "5015"), ("Hans Hauges gate", "5067"),
    ("Kronstadveien", "5063"), ("Arnatveitvegen", "5261"), ("Hardangervegen", "5268"),
    ("Lagunevegen", "5239"), ("Sætervegen", "5236"), ("Flaktveitvegen", "5135"),
)  # fmt: skip


def name_for(building_type: BuildingType, *, seed: int, place: str | None = None) -> str:
    """A name like "Minde skole" for a building of ``building_type``."""
    if place is None:
        place = draws(seed, 0xA11E).choice(PLACES)
    return _SUFFIX[building_type].format(place=place)


def address_for(*, seed: int) -> str:
    """A plausible Bergen street address."""
    rng = draws(seed, 0xADD2)
    street, postcode = rng.choice(_STREETS)
    return f"{street} {rng.randrange(1, 120)}, {postcode} Bergen"
