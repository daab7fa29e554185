"""The message catalogs: every word a person reads, by language (gettext .po files in
templates/locale/, compiled in memory when first used: Babel reads the .po, so a fresh
checkout needs no build step and no .mo files are committed).

Message ids are canonical ids (`category.product_quality`, `status.investigating`,
`ack.registered`, `reason.encrypted_pdf`), never display labels: a label is changed in one
catalog, and a template or code names the id. The lowest layer holds them because every layer
words something: the parsers their reasons (in English, for the log), the outputs every mail
and sheet, the processor what staff read. Templates and the zh-Hant generator: outputs/i18n.py."""

from __future__ import annotations

import gettext as _gettext
import io
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LANGUAGES = ("zh-Hans", "zh-Hant", "en")
SOURCE_LANGUAGE = "zh-Hans"  # the desk's default; zh-Hant is generated from it
DOMAIN = "messages"


def locale_dir() -> Path:
    return Path(str(files("templates"))) / "locale"


def catalog_name(language: str) -> str:
    """The folder of a language's catalog: `zh-Hant` → `zh_Hant` (gettext's spelling)."""
    if language not in LANGUAGES:
        raise ValueError(f"no catalog for language {language!r}: use one of {', '.join(LANGUAGES)}")
    return language.replace("-", "_")


def po_path(language: str) -> Path:
    return locale_dir() / catalog_name(language) / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(language: str) -> Catalog:
    with po_path(language).open("rb") as handle:
        return read_po(handle, locale=catalog_name(language), domain=DOMAIN)


@lru_cache(maxsize=len(LANGUAGES))
def translations(language: str) -> _gettext.GNUTranslations:
    """A language's compiled catalog (the .po compiled in memory once per process)."""
    compiled = io.BytesIO()
    write_mo(compiled, read_catalog(language))
    compiled.seek(0)
    return _gettext.GNUTranslations(compiled)


def language_of(language: str | None, default: str = SOURCE_LANGUAGE) -> str:
    """A supported language for a detected or configured one (None or unknown → `default`)."""
    return language if language in LANGUAGES else default


def has(language: str, msgid: str) -> bool:
    return msgid in translations(language_of(language))._catalog  # type: ignore[attr-defined]


def gettext(language: str | None, msgid: str, default: str | None = None, **variables: Any) -> str:
    """The text of `msgid` in `language`, with `%(name)s` placeholders filled from `variables`.
    An id not in the catalog gives `default` (a desk's own rule label) or, failing that, the id
    itself — which the rendered-mail tests catch as a raw key."""
    catalog = translations(language_of(language))
    text = (
        catalog.gettext(msgid)
        if has(language_of(language), msgid)
        else (default if default is not None else msgid)
    )
    return text % variables if variables else text


def label(language: str | None, kind: str, key: str | None, default: str | None = None) -> str:
    """A canonical value's name (`label("en", "status", "investigating")` → `Investigating`);
    — for none."""
    if not key:
        return "—"
    return gettext(language, f"{kind}.{key}", default=default if default is not None else key)
