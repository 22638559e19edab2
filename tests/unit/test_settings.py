from __future__ import annotations

import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from hotline.cli import main
from hotline.settings import Settings


def test_defaults_are_embedded_sqlite_and_loopback(tmp_path):
    s = Settings(var_dir=tmp_path)
    assert s.effective_database_url == f"sqlite:///{tmp_path / 'hotline.db'}"
    assert s.hotline_number == "1545"
    assert {s.ami_host, s.ari_host, s.agi_host, s.sip_host} == {"127.0.0.1"}


def test_environment_prefix(monkeypatch):
    monkeypatch.setenv("HOTLINE_HOTLINE_NUMBER", "15450")
    monkeypatch.setenv("HOTLINE_DATABASE_URL", "postgresql+psycopg://u:pw@127.0.0.1/db")
    s = Settings()
    assert s.hotline_number == "15450"
    assert s.effective_database_url.endswith("/db")


@pytest.mark.parametrize("number", ["15a5", "1", "", "1545; DROP"])
def test_bad_hotline_number_is_refused(number):
    with pytest.raises(ValidationError):
        Settings(hotline_number=number)


def test_development_secrets_refused_in_production():
    with pytest.raises(ValidationError, match="development default"):
        Settings(environment="production")
    ok = Settings(environment="production", ami_secret="a" * 20, ari_password="b" * 20, secret_key="c" * 40)
    assert ok.environment == "production"


def test_instance_name_cannot_escape_the_root():
    with pytest.raises(ValidationError):
        Settings(asterisk_instance="../etc")


def test_config_show_masks_secrets(monkeypatch):
    monkeypatch.setenv("HOTLINE_AMI_SECRET", "very-secret-ami")
    monkeypatch.setenv("HOTLINE_DATABASE_URL", "postgresql+psycopg://hot:dbpass@127.0.0.1/h")
    result = CliRunner().invoke(main, ["config", "show"])
    assert result.exit_code == 0, result.output
    assert "very-secret-ami" not in result.output
    assert "dbpass" not in result.output
    assert "ami_secret = ********" in result.output
    assert "hot:********@127.0.0.1/h" in result.output
