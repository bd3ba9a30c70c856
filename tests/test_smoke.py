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


def test_metrics_show_reports_flags_and_the_queue(client, world):
    import uuid
    from datetime import timedelta

    from service.clock import now_utc

    body = {
        "client_report_id": str(uuid.uuid4()),
        "observed_at": (now_utc() - timedelta(minutes=1)).isoformat(),
        "suicidal_thoughts": True,
    }
    assert client.post("/api/v1/me/reports", json=body, headers=world.patient.headers).status_code == 201
    text = client.get("/metrics").get_data(as_text=True)
    assert 'aftercare_reports_received_total{outcome="stored"}' in text
    assert 'aftercare_flags_opened_total{priority="critical"}' in text
    assert 'aftercare_flags_active{priority="critical"} 1.0' in text
    assert 'aftercare_outbox{status="dead"}' in text and "aftercare_checkins_overdue" in text
    assert 'aftercare_job_lag_seconds{job="send_checkins"}' in text
    age_line = next(line for line in text.splitlines() if line.startswith("aftercare_oldest_open_critical_seconds"))
    assert 0 <= float(age_line.split()[-1]) < 60
