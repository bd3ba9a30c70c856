"""Configuration from the environment."""

from __future__ import annotations

from datetime import timedelta

import pytest

from service import create_app
from service.config import ConfigError, instance_vapid_key, load_config, make_instance_secret
from service.delivery.webpush import generate_private_key_pem, public_key_for


def test_refuses_to_start_without_secret_in_production(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    monkeypatch.delenv("AFTERCARE_TESTING", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        load_config(str(tmp_path))


def test_debug_allows_development_secret(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("FLASK_DEBUG", "1")
    config = load_config(str(tmp_path))
    assert config["SECRET_KEY"]


def test_database_url_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db.internal:5432/aftercare")
    config = load_config(str(tmp_path))
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.internal:5432/aftercare"


def test_default_database_is_sqlite_in_instance_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    config = load_config(str(tmp_path))
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/aftercare.sqlite3"


def test_access_tokens_cannot_live_longer_than_15_minutes(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    monkeypatch.setenv("ACCESS_TOKEN_MINUTES", "60")
    with pytest.raises(ConfigError):
        load_config(str(tmp_path))


def test_openapi_document_and_docs_are_served(client):
    spec = client.get("/api/v1/openapi.json")
    assert spec.status_code == 200
    document = spec.get_json()
    assert "/api/v1/auth/login" in document["paths"]
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    docs = client.get("/docs", follow_redirects=True)
    assert docs.status_code == 200 and b"swagger-ui" in docs.data
    asset = client.get("/api/v1/static/swagger-ui/swagger-ui-bundle.js")
    assert asset.status_code == 200
    asset.close()


def test_no_catch_all_default_error_response(client):
    document = client.get("/api/v1/openapi.json").get_json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            assert "default" not in operation["responses"], f"{method.upper()} {path}"


def test_unhandled_error_is_json_500(tmp_path):
    app = create_app(
        {
            "TESTING": False,
            "PROPAGATE_EXCEPTIONS": False,
            "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3",
            "SECRET_KEY": "k" * 40,
        }
    )

    @app.get("/boom")
    def boom():
        raise RuntimeError("boom")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    body = response.get_json()
    assert body["code"] == 500 and body["status"] == "Internal Server Error" and "boom" not in body["message"]


def test_refresh_reuse_grace_is_30_seconds_unless_set(monkeypatch, tmp_path):
    monkeypatch.setenv("FLASK_DEBUG", "1")
    assert load_config(str(tmp_path))["REFRESH_REUSE_GRACE"] == timedelta(seconds=30)
    monkeypatch.setenv("REFRESH_REUSE_GRACE_SECONDS", "5")
    assert load_config(str(tmp_path))["REFRESH_REUSE_GRACE"] == timedelta(seconds=5)
    monkeypatch.setenv("REFRESH_REUSE_GRACE_SECONDS", "3600")
    with pytest.raises(ConfigError, match="REFRESH_REUSE_GRACE_SECONDS"):
        load_config(str(tmp_path))


def test_the_instance_secret_is_used_when_secret_key_is_unset(monkeypatch, tmp_path):
    for name in ("SECRET_KEY", "FLASK_DEBUG", "AFTERCARE_TESTING"):
        monkeypatch.delenv(name, raising=False)
    secret = make_instance_secret(str(tmp_path))
    assert len(secret) >= 48 and make_instance_secret(str(tmp_path)) == secret
    assert load_config(str(tmp_path))["SECRET_KEY"] == secret
    monkeypatch.setenv("SECRET_KEY", "an-operators-own-secret-" + "y" * 32)
    assert load_config(str(tmp_path))["SECRET_KEY"].startswith("an-operators-own-secret-")


def test_port_is_read_and_checked(monkeypatch, tmp_path):
    monkeypatch.setenv("FLASK_DEBUG", "1")
    monkeypatch.delenv("PORT", raising=False)
    assert load_config(str(tmp_path))["PORT"] == 5000
    monkeypatch.setenv("PORT", "8080")
    assert load_config(str(tmp_path))["PORT"] == 8080
    for bad in ("eighty", "0", "70000"):
        monkeypatch.setenv("PORT", bad)
        with pytest.raises(ConfigError, match="PORT"):
            load_config(str(tmp_path))


def test_the_instance_keeps_one_vapid_key_readable_by_its_owner_only(tmp_path, monkeypatch):
    monkeypatch.delenv("VAPID_PRIVATE_KEY", raising=False)
    monkeypatch.setenv("SECRET_KEY", "s" * 48)
    monkeypatch.delenv("AFTERCARE_TESTING", raising=False)
    first = load_config(str(tmp_path))["VAPID_PRIVATE_KEY"]
    assert "BEGIN PRIVATE KEY" in first and len(public_key_for(first)) == 87
    assert (tmp_path / "vapid_private_key.pem").stat().st_mode & 0o077 == 0
    assert load_config(str(tmp_path))["VAPID_PRIVATE_KEY"] == first == instance_vapid_key(str(tmp_path), create=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vapid_private_key.pem"]


def test_a_vapid_key_from_the_environment_wins_and_must_be_pem(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "s" * 48)
    monkeypatch.delenv("AFTERCARE_TESTING", raising=False)
    pem = generate_private_key_pem()
    monkeypatch.setenv("VAPID_PRIVATE_KEY", pem.replace("\n", "\\n"))
    assert load_config(str(tmp_path))["VAPID_PRIVATE_KEY"] == pem.strip()
    assert not (tmp_path / "vapid_private_key.pem").exists()
    monkeypatch.setenv("VAPID_PRIVATE_KEY", "not-a-key")
    with pytest.raises(ConfigError, match="VAPID_PRIVATE_KEY"):
        load_config(str(tmp_path))
