"""The message catalogs: complete in every language, zh_Hant generated and up to date, ids
filled and looked up as templates and code use them."""

from __future__ import annotations

import opencc
import pytest

from outputs import i18n


def ids(language: str) -> list[str]:
    return [message.id for message in i18n.read_catalog(language) if message.id]


def test_every_language_has_every_message_and_none_is_empty():
    source = ids("zh-Hans")
    assert len(source) > 50
    for language in i18n.LANGUAGES:
        catalog = i18n.read_catalog(language)
        assert ids(language) == source, language
        assert not [m.id for m in catalog if m.id and not m.string.strip()], language


def test_the_committed_zh_hant_catalog_is_what_make_catalogs_generates():
    assert i18n.po_path("zh-Hant").read_bytes() == i18n.generated_zh_hant(), "run `make catalogs`"
    assert i18n.main(["--check"]) == 0


def test_zh_hant_has_no_simplified_characters_and_takes_the_reviewed_overrides():
    to_traditional = opencc.OpenCC("s2tw")
    for message in i18n.read_catalog("zh-Hant"):
        if message.id:
            assert to_traditional.convert(message.string) == message.string, message.id
    assert i18n.gettext("zh-Hant", "category.product_quality") == "產品品質類"  # not 質量 (mass)


def test_canonical_ids_name_things_in_each_language():
    assert i18n.label("zh-Hans", "status", "investigating") == "调查处理中"
    assert i18n.label("zh-Hant", "status", "investigating") == "調查處理中"
    assert i18n.label("en", "status", "investigating") == "Investigating"
    assert i18n.label("en", "level", None) == "—"
    # a desk's own category, not in the catalogs, is named by its rule label
    assert i18n.label("en", "category", "warranty_fraud", "保修欺诈") == "保修欺诈"


def test_templates_and_code_read_the_same_catalog():
    template = i18n.environment("en").from_string(
        '{{ _("level.major") }} / {% trans %}field.vin{% endtrans %}'
    )
    assert (
        template.render()
        == f"{i18n.gettext('en', 'level.major')} / {i18n.gettext('en', 'field.vin')}"
    )


def test_unknown_language_is_refused_where_a_catalog_is_named():
    with pytest.raises(ValueError, match="no catalog"):
        i18n.po_path("fr")
    assert i18n.language_of("fr") == "zh-Hans"
