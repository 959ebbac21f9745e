"""The pages' language: bokmål by default, English on request.

The texts live in gettext catalogs, ``api/locale/{nb,en}/LC_MESSAGES/messages.po``, with the
English text as the message id. They are compiled in memory when the app starts, so a fresh
checkout needs no build step and a catalog edited is a catalog served after a restart. A
message without a translation shows its English id.

A person picks the language with ``?lang=en`` or ``?lang=nb`` on any page; the choice is kept
in the ``byggpuls_lang`` cookie. The JSON API is not translated: its texts that people read
(advice, health reasons) carry both languages.
"""

from __future__ import annotations

import functools
import io
import logging
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Final

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from starlette.requests import Request

logger = logging.getLogger(__name__)

LOCALE_DIR: Final = Path(__file__).resolve().parent / "locale"
#: The languages the pages speak, with the Babel locale that formats numbers and dates and
#: the BCP 47 tag for ``<html lang>`` and the browser's ``Intl``.
LANGUAGES: Final[Mapping[str, tuple[str, str]]] = MappingProxyType(
    {"nb": ("nb_NO", "nb-NO"), "en": ("en_GB", "en-GB")}
)
#: Facility managers in Bergen read bokmål; English is for partners and visitors.
DEFAULT_LANGUAGE: Final = "nb"
COOKIE: Final = "byggpuls_lang"
#: The language choice is kept for a year.
COOKIE_MAX_AGE_S: Final = 365 * 86_400
QUERY: Final = "lang"


def babel_locale(language: str) -> str:
    """The Babel locale of a page language: ``nb`` -> ``nb_NO``."""
    return LANGUAGES.get(language, LANGUAGES[DEFAULT_LANGUAGE])[0]


def html_lang(language: str) -> str:
    """The BCP 47 tag of a page language: ``nb`` -> ``nb-NO``."""
    return LANGUAGES.get(language, LANGUAGES[DEFAULT_LANGUAGE])[1]


def requested_language(request: Request) -> str | None:
    """The language the request's ``?lang=`` asks for, if it names one the pages speak."""
    asked = request.query_params.get(QUERY)
    return asked if asked in LANGUAGES else None


def language_of(request: Request) -> str:
    """The page language: ``?lang=`` first, then the cookie, else bokmål."""
    chosen = requested_language(request) or request.cookies.get(COOKIE)
    return chosen if chosen is not None and chosen in LANGUAGES else DEFAULT_LANGUAGE


@functools.cache
def translations(language: str) -> NullTranslations:
    """The compiled catalog of ``language``; one without a catalog shows the English ids."""
    path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if not path.is_file():
        logger.warning("no catalog for %s at %s: the pages show English", language, path)
        return NullTranslations()
    with path.open("rb") as source:
        catalog = read_po(source, locale=babel_locale(language))
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(fp=compiled)


def gettext(language: str, message: str) -> str:
    """``message`` in ``language`` (the English id where the catalog has no translation)."""
    return translations(language).gettext(message)


def ngettext(language: str, singular: str, plural: str, count: int) -> str:
    """The singular or plural of a message in ``language``, by ``count``."""
    return translations(language).ngettext(singular, plural, count)
