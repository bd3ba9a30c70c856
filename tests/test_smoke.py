def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_reports_database_and_migrations(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["checks"] == {"database": "ok", "migrations": "ok"}


def test_world_builds(world, client):
    response = client.get("/api/v1/patients", headers=world.nurse.headers)
    assert response.status_code == 200
    names = {p["display_name"] for p in response.get_json()}
    assert names == {"Pat North", "Olive North"}
