"""Config validation names the file and the key; secrets come from the environment only."""

from __future__ import annotations

import pytest

from processor.config import load_config, secret
from processor.errors import ConfigError
from processor.rules.engine import BUILTIN_RULES, load_rules


def write(tmp_path, text):
    path = tmp_path / "aftersales.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_unknown_key_is_named_with_its_section(tmp_path):
    with pytest.raises(ConfigError, match=r"aftersales.toml: key `desk.adress`: unknown key"):
        load_config(write(tmp_path, '[desk]\nadress = "x@y"\n'))


def test_wrong_type_is_named(tmp_path):
    with pytest.raises(ConfigError, match=r"key `worker.poll_seconds`"):
        load_config(write(tmp_path, '[worker]\npoll_seconds = "often"\n'))


def test_missing_shared_folder_is_an_error_naming_the_key(tmp_path):
    with pytest.raises(ConfigError, match=r"key `folders.0.path`: folder .*nowhere does not exist"):
        load_config(write(tmp_path, '[[folders]]\nname = "s"\npath = "nowhere"\n'))


def test_relative_paths_are_relative_to_the_config_folder(tmp_path):
    (tmp_path / "in").mkdir()
    config = load_config(
        write(
            tmp_path, '[[folders]]\nname = "s"\npath = "in"\n[store]\nurl = "sqlite:///data/x.db"\n'
        )
    )
    assert config.folder_paths(config.folders[0])[0] == tmp_path / "in"
    assert config.database_url == f"sqlite:///{tmp_path}/data/x.db"


def test_case_number_format_must_have_a_sequence(tmp_path):
    with pytest.raises(ConfigError, match="case_number_format"):
        load_config(write(tmp_path, '[desk]\ncase_number_format = "CS-{yy}{mm}"\n'))


def test_secret_comes_from_the_named_variable(monkeypatch):
    monkeypatch.setenv("AFTERSALES_TEST_SECRET", "s3cret")
    assert secret("AFTERSALES_TEST_SECRET", "imap") == "s3cret"
    monkeypatch.delenv("AFTERSALES_TEST_SECRET")
    with pytest.raises(ConfigError, match=r"\$AFTERSALES_TEST_SECRET is not set"):
        secret("AFTERSALES_TEST_SECRET", "imap")


def test_an_unknown_returns_condition_is_named_with_the_known_ones(tmp_path):
    rules = BUILTIN_RULES.read_text(encoding="utf-8").replace(
        'accept_when = ["reported_in_time"]', 'accept_when = ["reported_in_tme"]'
    )
    assert 'accept_when = ["reported_in_tme"]' in rules
    path = tmp_path / "rules.toml"
    path.write_text(rules, encoding="utf-8")
    with pytest.raises(
        ConfigError,
        match=r"unknown condition reported_in_tme; known: within_window, within_ratio, "
        r"reported_in_time",
    ):
        load_rules(path)
