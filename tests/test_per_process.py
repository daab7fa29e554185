"""What a worker reads once per process rather than once per mail (issue 23): the master data
a complaint is matched against, read in one transaction and kept until it is imported again."""

from __future__ import annotations

import time

from sqlalchemy import event

from parsers import parse_document
from processor import master_data
from processor.examining import match_master_data
from processor.store.models import Product
from tests.test_judgement import mail


def statements(desk) -> list[str]:
    """The SQL the desk's store runs from now on."""
    seen: list[str] = []
    event.listen(desk.store.engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    return seen


def complaint(text: str):
    return parse_document(mail("质量问题", text), "m.eml")


def drop_products(desk, text: str) -> None:
    target = (
        desk.config.path(desk.config.master_data.folder) / f"products-{time.monotonic_ns()}.csv"
    )
    target.write_text(text, encoding="utf-8")
    old = time.time() - 10
    import os

    os.utime(target, (old, old))


def test_master_data_is_read_once_for_many_complaints(desk):
    with desk.store.transaction() as session:
        session.add(Product(part_no="SVW-LV-2026", name="朗逸"))
    seen = statements(desk)
    first, second = complaint("我的朗逸变速箱一直响。"), complaint("朗逸的空调不制冷。")
    match_master_data(desk, first)
    reads = len(seen)
    match_master_data(desk, second)
    assert reads > 0 and len(seen) == reads  # the second complaint asked the store nothing
    assert first.value("product_name") == second.value("product_name") == "朗逸"


def test_an_import_is_seen_by_the_next_complaint(desk):
    match_master_data(
        desk, complaint("我的朗逸变速箱一直响。")
    )  # read (nothing on record yet) and cached
    drop_products(desk, "物料编码,产品名称,规格型号,单价\nSVW-LV-2026,朗逸,1.5L,100000\n")
    assert [line.split(":")[1].strip() for line in master_data.import_folder(desk)] == [
        "1 products"
    ]
    after = complaint("我的朗逸变速箱一直响。")
    match_master_data(desk, after)
    assert after.value("product_name") == "朗逸" and after.value("product_model") == "SVW-LV-2026"


def test_another_workers_import_is_seen_after_the_recheck_time(desk, monkeypatch):
    match_master_data(desk, complaint("热水器坏了。"))  # cached: no products
    with desk.store.transaction() as session:  # as another worker's import would write it
        session.add(Product(part_no="RSQ-60", name="燃气热水器"))
    still = complaint("燃气热水器坏了。")
    match_master_data(desk, still)
    assert still.value("product_model") is None  # within the recheck time: the cached read
    monkeypatch.setattr(master_data, "RECHECK_SECONDS", 0.0)
    later = complaint("燃气热水器坏了。")
    match_master_data(desk, later)
    assert later.value("product_model") == "RSQ-60"
