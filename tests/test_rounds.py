"""One table for the worker's round (processor.rounds), run by the single-process worker and
deferred by the distributed one; the parsers' limits defined once; the OCR's environment
read when used. Pure logic: no server."""

from __future__ import annotations

import logging
from dataclasses import fields

import pytest

from parsers import ocr
from parsers.limits import ParseLimits
from processor import distributed, rounds, worker
from processor.config import Config, Limits, load_config
from processor.desk import Rulebook
from processor.pipeline import Outcome

POSTGRES = "postgresql+psycopg://desk@127.0.0.1:1/desk"  # never connected to: the app is only made


def test_the_single_worker_runs_the_table_in_order_and_goes_on_after_a_failing_step(
    monkeypatch, caplog
):
    ran = []

    def step(name: str, fails: bool = False, result: object = None):  # noqa: ANN202
        def run(desk: object) -> object:
            ran.append(name)
            if fails:
                raise RuntimeError(f"{name} broke")
            return result

        return run

    found = Outcome("processed", "scan.pdf")
    table = (
        rounds.Job(
            "first",
            (rounds.Step(step("a"), "a failed"), rounds.Step(step("b", fails=True), "b failed")),
        ),
        rounds.Job("sources", per_source=True),
        rounds.Job(
            "last",
            (
                rounds.Step(step("c", result=[found]), "c failed", outcomes=True),
                rounds.Step(step("d", result=["not an outcome"]), "d failed"),
            ),
        ),
    )
    monkeypatch.setattr(worker, "ROUND", table)
    monkeypatch.setattr(
        worker, "poll", lambda desk, on_outcome, on_item=None: ran.append("poll") or []
    )
    with caplog.at_level(logging.ERROR, logger="processor.worker"):
        outcomes = worker.run_once(object())
    assert ran == ["a", "b", "poll", "c", "d"]
    assert outcomes == [found]  # only a step that yields outcomes counts among the round's items
    assert [record.getMessage() for record in caplog.records] == [
        "b failed; it runs again on the next pass"
    ]


def desk_of(tmp_path, **sections: str) -> Rulebook:  # noqa: ANN001
    text = f'[store]\nurl = "{POSTGRES}"\n' + "".join(
        f'\n[[folders]]\nname = "{name}"\npath = "{path}"\n' for name, path in sections.items()
    )
    (tmp_path / "aftersales.toml").write_text(text, encoding="utf-8")
    for path in sections.values():
        (tmp_path / path).mkdir(parents=True)
    return Rulebook.from_config(load_config(tmp_path / "aftersales.toml"))


def test_the_distributed_worker_defers_and_registers_the_same_table(tmp_path):
    desk = desk_of(tmp_path, north="north/incoming", south="south/incoming")
    deferred = distributed.first_round(desk)
    assert deferred == [
        ("import_master_data", "master_data", "master_data", {}),
        ("poll_source", "source:folder:north", "source:folder:north", {"name": "folder:north"}),
        ("poll_source", "source:folder:south", "source:folder:south", {"name": "folder:south"}),
        ("desk_jobs", "desk_jobs", "desk_jobs", {}),
        ("deliver_outbox", None, "outbox", {}),
    ]
    app = distributed.make_app(desk.config, desk=lambda: pytest.fail("no job runs here"))
    names = {task.name for task in app.tasks.values() if not task.name.startswith("builtin:")}
    assert {job.name for job in rounds.ROUND} | {"process_document", "tick"} == names
    assert app.tasks["deliver_outbox"].retry_strategy.max_attempts == 5
    assert (
        app.tasks["desk_jobs"].retry_strategy is None and app.tasks["desk_jobs"].lock == "desk_jobs"
    )


def test_the_distributed_worker_opens_its_desk_from_the_loaded_config_not_its_file(tmp_path):
    config_file = tmp_path / "aftersales.toml"
    config_file.write_text('[desk]\nname = "Loaded"\n', encoding="utf-8")
    config = load_config(config_file)
    config_file.write_text(
        '[desk]\nname = "Changed on disk"\n', encoding="utf-8"
    )  # what runs is what was checked
    desk = distributed.opened_once(config)
    try:
        assert (
            desk() is desk() and desk().config.desk.name == "Loaded"
        )  # opened once, shared by every job
    finally:
        desk().close()


def test_the_limits_section_is_the_parsers_limits_checked():
    bounds = {bound.name: bound.default for bound in fields(ParseLimits)} | {
        "separate_processes": True
    }
    del bounds["case_number_format"]  # set in [desk]
    assert Limits().model_dump() == bounds
    with pytest.raises(ValueError):
        Limits(max_seconds=0)
    with pytest.raises(ValueError):
        Limits(case_number_format="X-{seq}")
    assert Config.model_validate({"limits": {"max_pages": 7}}).limits.max_pages == 7


def test_ocr_reads_its_environment_when_used_not_at_import(monkeypatch):
    monkeypatch.setenv("AFTERSALES_OCR_LANGUAGES", "eng")
    assert ocr.languages() == "eng"
    monkeypatch.delenv("AFTERSALES_OCR_LANGUAGES")
    assert ocr.languages() == ocr.DEFAULT_LANGUAGES
    monkeypatch.setenv("AFTERSALES_OCR_ENGINE", "tesseract")
    ocr.engine.cache_clear()
    try:
        assert ocr.engine() == "tesseract"
    finally:
        monkeypatch.delenv("AFTERSALES_OCR_ENGINE")
        ocr.engine.cache_clear(), ocr.available.cache_clear()
