"""Resolving the instance from the Host header or the /i/<slug>/ prefix, failing closed."""


def test_host_resolves_instance(client_for):
    response = client_for("academia").get("/")
    assert response.status_code == 200
    assert "Academia" in response.get_data(as_text=True)


def test_path_prefix_resolves_instance(app):
    client = app.test_client()
    response = client.get("/i/acme/", headers={"Host": "127.0.0.1:5000"})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Acme Network" in body
    assert 'href="/i/acme/login"' in body  # links keep the prefix


def test_unknown_host_is_404(app):
    response = app.test_client().get("/", headers={"Host": "evil.example"})
    assert response.status_code == 404


def test_unknown_slug_is_404(app):
    response = app.test_client().get("/i/nope/", headers={"Host": "127.0.0.1"})
    assert response.status_code == 404


def test_unknown_host_cannot_reach_instance_pages(app):
    response = app.test_client().get("/login", headers={"Host": "127.0.0.1"})
    assert response.status_code == 404


def test_host_with_port_and_capitals(app):
    response = app.test_client().get("/", headers={"Host": "ACME.localhost:8080"})
    assert response.status_code == 200
    assert "Acme Network" in response.get_data(as_text=True)


def test_loopback_root_lists_instances(app):
    response = app.test_client().get("/", headers={"Host": "127.0.0.1:5000"})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    for slug in ("academia", "acme", "reseau"):
        assert f"/i/{slug}/" in body


def test_path_prefix_is_refused_on_an_instance_domain(app):
    """On acme's own domain, /i/reseau/ must not serve reseau (one origin per tenant)."""
    client = app.test_client()
    assert client.get("/i/reseau/", headers={"Host": "acme.localhost"}).status_code == 404
    assert client.get("/i/reseau/login",
                      headers={"Host": "network.acme.example"}).status_code == 404
    assert client.get("/i/reseau/", headers={"Host": "127.0.0.1:5000"}).status_code == 200


def test_dev_outbox_only_on_loopback(app_config):
    from maillon import create_app

    app = create_app({**app_config, "DEV_OUTBOX": True})
    client = app.test_client()
    assert client.get("/dev/outbox", headers={"Host": "127.0.0.1:5000"}).status_code == 200
    assert client.get("/dev/outbox", headers={"Host": "acme.localhost"}).status_code == 404
    assert client.get("/dev/outbox", headers={"Host": "evil.example"}).status_code == 404
    app.extensions["maillon.engine"].dispose()


def test_pages_carry_security_headers(client_for):
    response = client_for("acme").get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in response.get_data(as_text=True)


def test_path_prefix_is_refused_on_a_public_host(app, create_member):
    """/i/<slug>/ on any public name would serve every tenant from one origin: 404."""
    from maillon.accounts.services import issue_api_token
    from maillon.db import db

    member = create_member("acme")
    with app.app_context():
        auth = {"Authorization": f"Bearer {issue_api_token(db.session, member)}"}
    client = app.test_client()
    for host in ("evil.example", "evil.example:443", "10.1.2.3"):
        assert client.get("/i/acme/", headers={"Host": host}).status_code == 404
        response = client.get("/i/acme/api/v1/me", headers={"Host": host, **auth})
        assert response.status_code == 404
    response = client.get("/i/acme/api/v1/me", headers={"Host": "localhost:5000", **auth})
    assert response.status_code == 200


def test_path_prefix_on_development_hosts(app):
    client = app.test_client()
    for host in ("127.0.0.1:8000", "localhost", "[::1]:5000", "anything.localhost:5000"):
        assert client.get("/i/acme/", headers={"Host": host}).status_code == 200, host


def test_dev_hosts_setting_allows_the_prefix(app, app_config):
    from maillon import create_app

    app_config["DEV_HOSTS"] = "devbox.lan, staging.example"
    app = create_app(app_config)
    client = app.test_client()
    assert client.get("/i/acme/", headers={"Host": "devbox.lan:5000"}).status_code == 200
    assert client.get("/i/acme/", headers={"Host": "STAGING.example"}).status_code == 200
    assert client.get("/i/acme/", headers={"Host": "evil.example"}).status_code == 404
    app.extensions["maillon.engine"].dispose()
