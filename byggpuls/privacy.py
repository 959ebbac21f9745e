"""Privacy classes: how freely a domain's data may be shared with partners.

A domain's class depends on the building too: a room's CO₂ in an office says how full a
meeting room is, in a nursing home whether a resident is in their room. The class decides
what a grant needs (:func:`needs_reason`):

- ``open``: a building's technical life (its energy, water and ventilation plant); granted
  without more ado;
- ``internal``: the conditions of rooms many people share; granted without a reason, but shown
  as such in the catalogue;
- ``sensitive``: what can reveal a person's presence (occupancy anywhere; room climate in
  nursing homes, whose rooms are people's homes); never granted by default, and a grant needs
  a recorded reason.

A domain the platform does not know is ``sensitive`` until someone says otherwise: whatever a
new kind of sensor measures, it is not shared by mistake.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Final

from byggpuls.reading import BuildingType


class PrivacyClass(StrEnum):
    """How freely a domain's data may be shared, least restricted first."""

    OPEN = "open"
    INTERNAL = "internal"
    SENSITIVE = "sensitive"

    @property
    def rank(self) -> int:
        """0 for open, 1 for internal, 2 for sensitive."""
        return list(PrivacyClass).index(self)


#: Each known domain's class in any building, before :data:`BY_TYPE` raises it.
DOMAIN_CLASSES: Final[Mapping[str, PrivacyClass]] = {
    "energy": PrivacyClass.OPEN,
    "water": PrivacyClass.OPEN,
    "hvac": PrivacyClass.OPEN,
    "climate": PrivacyClass.INTERNAL,
    "occupancy": PrivacyClass.SENSITIVE,
}
#: Where a building's type makes a domain more private than it is elsewhere.
BY_TYPE: Final[Mapping[tuple[str, str], PrivacyClass]] = {
    (BuildingType.NURSING_HOME.value, "climate"): PrivacyClass.SENSITIVE,
}
#: What a grant's reason must at least hold, in characters (a word is not a reason).
MIN_REASON_LENGTH: Final = 10

#: What each class means, for the catalogue and the grant form (bokmål, English).
DESCRIPTIONS: Final[Mapping[PrivacyClass, tuple[str, str]]] = {
    PrivacyClass.OPEN: (
        "Byggets tekniske drift: kan deles uten videre.",
        "The building's technical operation: may be shared without more ado.",
    ),
    PrivacyClass.INTERNAL: (
        "Forhold i rom mange deler: deles uten begrunnelse, men vis varsomhet.",
        "Conditions in rooms many people share: shared without a reason, with care.",
    ),
    PrivacyClass.SENSITIVE: (
        "Kan avsløre at en person er til stede: deles aldri som standard, og bare med en"
        " registrert begrunnelse.",
        "Can reveal that a person is present: never shared by default, and only with a"
        " recorded reason.",
    ),
}


def privacy_class(domain: str, building_type: str | None = None) -> PrivacyClass:
    """The class of ``domain`` in a building of ``building_type`` (None: of any type, the most
    private class the domain has in any)."""
    base = DOMAIN_CLASSES.get(domain, PrivacyClass.SENSITIVE)
    if building_type is None:
        raised = [cls for (_, name), cls in BY_TYPE.items() if name == domain]
        return max([base, *raised], key=lambda cls: cls.rank)
    return BY_TYPE.get((building_type, domain), base)


def sensitive_domains(domains: Iterable[str], building_types: Iterable[str]) -> list[str]:
    """The ``domains`` that are sensitive in a building of any of ``building_types``, sorted."""
    types = list(building_types)
    return sorted(
        {
            domain
            for domain in domains
            for type_ in types
            if privacy_class(domain, type_) is PrivacyClass.SENSITIVE
        }
    )


def needs_reason(domains: Iterable[str], building_types: Iterable[str]) -> bool:
    """Whether a grant of ``domains`` in buildings of ``building_types`` needs a reason."""
    return bool(sensitive_domains(domains, building_types))
