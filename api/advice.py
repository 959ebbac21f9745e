"""What a facility manager is told about each kind of finding: its title, the likely cause and
what to check, in bokmål and English.

One entry per kind the analytics report (the test beside this module checks that none is
missing). The texts live here, not in templates, so the JSON API, the dashboard and a later
translation of the pages use the same words. A kind without an entry (one the analytics no
longer report) has no advice: the API says null rather than guessing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final


@dataclass(frozen=True, slots=True)
class Words:
    """The same text in bokmål (``nb``) and English (``en``)."""

    nb: str
    en: str


@dataclass(frozen=True, slots=True)
class Advice:
    """What to tell about one kind of finding."""

    title: Words
    cause: Words
    check: Words


def _advice(title: tuple[str, str], cause: tuple[str, str], check: tuple[str, str]) -> Advice:
    return Advice(Words(*title), Words(*cause), Words(*check))


#: Advice per finding kind.
ADVICE: Final[Mapping[str, Advice]] = MappingProxyType(
    {
        "after_hours_operation": _advice(
            ("Strømforbruk utenom åpningstid", "Electricity used outside opening hours"),
            (
                "Ventilasjon eller belysning går utenom åpningstid, gjennom natten.",
                "Ventilation or lighting runs outside opening hours, through the night.",
            ),
            (
                "Tidsprogram i SD-anlegget for aggregat og lys; overstyringer (manuell drift) som"
                " ble glemt; ferier og helligdager i tidsprogrammet.",
                "Time schedules in the building management system (BMS) for air handling units"
                " and lighting; overrides (manual operation) left on; holidays in the schedule.",
            ),
        ),
        "after_hours_heating": _advice(
            ("Oppvarming utenom åpningstid", "Heating outside opening hours"),
            (
                "Nattsenkingen virker ikke: varmeanlegget eller varmebatteriet i ventilasjonen"
                " holder dagtemperatur om natten.",
                "The night setback does not work: the heating or the ventilation's heating coil"
                " keeps day temperature at night.",
            ),
            (
                "Nattsenking og tidsprogram for varmekurser og aggregat i SD-anlegget; overstyrte"
                " ventiler og pumper; utetemperaturføleren.",
                "Night setback and schedules of the heating circuits and air handling units in"
                " the BMS; overridden valves and pumps; the outdoor temperature sensor.",
            ),
        ),
        "unusual_day": _advice(
            ("Uvanlig døgnprofil", "A day unlike the building's usual days"),
            (
                "Forbruket følger ikke byggets vanlige døgn: driftstider er flyttet, eller utstyr"
                " slås på til uvanlige tider.",
                "Consumption does not follow the building's usual day: operating times have"
                " moved, or equipment switches on at odd hours.",
            ),
            (
                "Endringer i tidsprogrammer (også etter skifte til sommer- eller vintertid),"
                " arrangementer og utleie de dagene, utstyr som startet eller stoppet uventet.",
                "Changes to time schedules (also after a daylight-saving change), events and"
                " lettings on those days, equipment that started or stopped unexpectedly.",
            ),
        ),
        "baseload_drift": _advice(
            ("Grunnlasten om natten kryper oppover", "Night base load creeping up"),
            (
                "Noe som burde vært av, står på hele døgnet: nytt eller defekt utstyr, en pumpe,"
                " vifte eller varmekabel som ikke slår seg av.",
                "Something that should be off runs around the clock: new or faulty equipment, a"
                " pump, fan or heating cable that does not switch off.",
            ),
            (
                "Gå en runde etter stengetid: tekniske rom, varmekabler og frostsikring, kjøl og"
                " frys, servere, pumper; sammenlign med undermålere.",
                "Walk round after closing: plant rooms, heating cables and frost protection,"
                " fridges and freezers, servers, pumps; compare with sub-meters.",
            ),
        ),
        "heating_out_of_line": _advice(
            ("Oppvarmingen følger ikke været", "Heating out of line with the weather"),
            (
                "Mer varme i åpningstiden enn utetemperaturen tilsier: for høye settpunkt, feil"
                " varmekurve, eller varme og kjøling som motarbeider hverandre.",
                "More heat in opening hours than the outdoor temperature calls for: setpoints"
                " too high, a wrong heating curve, or heating and cooling working against each"
                " other.",
            ),
            (
                "Varmekurve og turtemperatur, romsettpunkt, tilluftstemperatur i aggregatene,"
                " radiatorventiler som står fullt åpne.",
                "Heating curve and supply water temperature, room setpoints, supply air"
                " temperature of the air handling units, radiator valves left fully open.",
            ),
        ),
        "meter_fault": _advice(
            ("Målerfeil", "Meter fault"),
            (
                "Måleren eller overføringen gir feil data: verdien står fast, hopper, mangler,"
                " eller telleren går baklengs.",
                "The meter or its link gives wrong data: the value is stuck, spikes or goes"
                " missing, or the counter runs backwards.",
            ),
            (
                "Måleren og M-Bus- eller Modbus-forbindelsen, gatewayens logg, om måleren er"
                " byttet eller nullstilt; les av måleren på stedet.",
                "The meter and its M-Bus or Modbus link, the gateway's log, whether the meter"
                " was replaced or reset; read the meter on site.",
            ),
        ),
        "window_open": _advice(
            ("Vindu åpent mens det varmes", "A window open while heating"),
            (
                "Rommet kjøles raskere enn naborommene mens radiatorene varmer: trolig et vindu"
                " eller en dør som står åpen.",
                "The room cools faster than its neighbours while its radiators heat: likely a"
                " window or door left open.",
            ),
            (
                "Vinduer og dører i rommet, særlig etter stengetid; tetningslister og knuste"
                " ruter; hvor temperaturføleren sitter.",
                "The room's windows and doors, especially after closing; seals and broken panes;"
                " where the temperature sensor sits.",
            ),
        ),
        "setpoint_too_high": _advice(
            ("Temperaturen i et rom er satt for høyt", "A room's setpoint too high"),
            (
                "Rommet holdes varmere enn bruken krever; hver grad for mye koster rundt 5 % av"
                " romoppvarmingen.",
                "The room is kept warmer than its use needs; each degree too many costs about"
                " 5 % of its space heating.",
            ),
            (
                "Settpunkt i SD-anlegget og på romtermostaten; om noen har skrudd opp lokalt;"
                " klager på kulde som kan skyldes trekk.",
                "The setpoint in the BMS and on the room thermostat; whether someone turned it"
                " up locally; complaints of cold that may come from draughts.",
            ),
        ),
        "simultaneous_heating_cooling": _advice(
            ("Varme og kjøling samtidig", "Heating and cooling at once"),
            (
                "Varme- og kjølebatteriet i ventilasjonsaggregatet arbeider mot hverandre, ofte"
                " fordi en ventil lekker eller henger.",
                "The heating and cooling coils of the air handling unit work against each"
                " other, often because a valve leaks or sticks.",
            ),
            (
                "Ventiler og ventilmotorer på varme- og kjølebatteri (stenger de helt?),"
                " reguleringssekvensen og dødbåndet, temperaturfølerne i aggregatet.",
                "Valves and actuators of the heating and cooling coils (do they close fully?),"
                " the control sequence and its dead band, the unit's temperature sensors.",
            ),
        ),
        "damper_out_of_position": _advice(
            ("Uteluftspjeldet står feil", "Outdoor-air damper out of position"),
            (
                "Spjeldet slipper inn mer eller mindre uteluft enn styringen ber om: spjeldblad"
                " som henger, løst stag eller defekt spjeldmotor.",
                "The damper lets in more or less outdoor air than the controls ask for: a stuck"
                " blade, a loose linkage or a faulty actuator.",
            ),
            (
                "Spjeldmotor og stag, at spjeldet lukker når viften stopper, minimumsposisjon og"
                " frikjøling i SD-anlegget.",
                "Damper actuator and linkage, that the damper closes when the fan stops, the"
                " minimum position and free cooling in the BMS.",
            ),
        ),
        "supply_temp_off_setpoint": _advice(
            ("Tilluften holder ikke settpunktet", "Supply air off its setpoint"),
            (
                "Aggregatet klarer ikke å holde tilluftstemperaturen: en ventil, et batteri"
                " eller et spjeld gjør ikke det styringen ber om.",
                "The unit cannot hold its supply air temperature: a valve, coil or damper does"
                " not do what the controls ask.",
            ),
            (
                "Ventiler og pådrag på varme- og kjølebatteri, turvann fra varme- og"
                " kjøleanlegget, varmegjenvinneren, tilluftsføleren.",
                "Valves and their commands on the heating and cooling coils, the water from the"
                " heating and cooling plant, the heat recovery, the supply air sensor.",
            ),
        ),
        "cooling_with_cold_outdoor_air": _advice(
            (
                "Kjøler med kald nok uteluft",
                "Cooling while the outdoor air is cold enough",
            ),
            (
                "Spjeldet står fullt åpent for uteluft som alene er kald nok, men kjølebatteriet"
                " kjøler likevel: ofte en varmeventil som lekker, eller en kjøleventil som"
                " henger.",
                "The damper lets in outdoor air that is cold enough on its own, yet the cooling"
                " coil cools: often a leaking heating valve or a stuck cooling valve.",
            ),
            (
                "Varmeventilen (tetter den når den er stengt?), kjøleventilen og pådraget,"
                " uteluftsføleren og tilluftsføleren.",
                "The heating valve (does it seal when closed?), the cooling valve and its"
                " command, the outdoor and supply air sensors.",
            ),
        ),
        "duct_pressure_off_setpoint": _advice(
            (
                "Kanaltrykket holder ikke settpunktet",
                "Duct pressure off its setpoint",
            ),
            (
                "Viften går på full fart mens trykket i tilluftskanalen ligger langt fra"
                " settpunktet: viften følger ikke trykkreguleringen, eller den klarer ikke å"
                " levere luften.",
                "The fan runs at full speed while the supply duct pressure is far from its"
                " setpoint: the fan does not follow its pressure loop, or cannot deliver.",
            ),
            (
                "Frekvensomformeren (står den i manuell?), reimen, filtre og spjeld som"
                " stenger, trykkføleren og slangene til den.",
                "The drive (is it in hand?), the belt, filters and dampers that block the air,"
                " the pressure sensor and its tubing.",
            ),
        ),
        "mixed_air_out_of_range": _advice(
            ("Blandeluftføleren viser feil", "Mixed air outside the outdoor and return air"),
            (
                "Blandeluften kan ikke være kaldere eller varmere enn uteluften og avtrekket den"
                " blandes av: en føler måler feil.",
                "Mixed air cannot be colder or warmer than the outdoor and return air it is"
                " mixed from: a sensor reads wrong.",
            ),
            (
                "Føler for blandeluft, uteluft og avtrekk: plassering (lagdelt luft),"
                " kalibrering, om to følere er byttet om.",
                "The mixed, outdoor and return air sensors: placement (stratified air),"
                " calibration, whether two of them are swapped.",
            ),
        ),
        "fan_outside_hours": _advice(
            ("Viften går utenom åpningstid", "Fan running outside opening hours"),
            (
                "Tilluftsviften går gjennom natten uten at noen er i bygget.",
                "The supply fan runs through the night with nobody in the building.",
            ),
            (
                "Tidsprogram og nattdrift for aggregatet i SD-anlegget; manuell drift som ble"
                " glemt; behovsstyring (tilstedeværelse, CO₂) som henger.",
                "The unit's time schedule and night operation in the BMS; manual operation left"
                " on; demand control (presence, CO₂) that is stuck.",
            ),
        ),
        "baseline_review": _advice(
            ("Målerdata å se over", "Meter data to review"),
            (
                "Forbruket lar seg ikke forklare av tid og utetemperatur (ASHRAE Guideline 14"
                " er ikke oppfylt): målerdataene eller driften har endret seg.",
                "Consumption cannot be explained by time and outdoor temperature (ASHRAE"
                " Guideline 14 is not met): the meter data or the operation has changed.",
            ),
            (
                "At måleren er riktig tilordnet og skalert; ombygging eller ny bruk av bygget;"
                " større endringer i driften i perioden.",
                "That the meter is the right one and correctly scaled; rebuilding or a new use"
                " of the building; major changes in operation in the period.",
            ),
        ),
    }
)


def advice_for(kind: str) -> Advice | None:
    """The advice on findings of ``kind``; None for a kind without any."""
    return ADVICE.get(kind)
