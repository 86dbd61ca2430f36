"""/metrics: request latency by route (never the raw path), search and chain timings, the jobs
queue; loopback or a bearer token only; several processes summed through files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from maillon import create_app
from maillon.db import db, utcnow
from maillon.finder.services import search_members
from maillon.introductions.routing import chains_between
from maillon.jobs.models import Job
from maillon.tenancy.models import Instance

ROOT = Path(__file__).resolve().parents[2]
OUTSIDE = {"REMOTE_ADDR": "203.0.113.9"}
REQUESTS = "maillon_http_request_duration_seconds"


def samples(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """The samples called ``name`` in a text exposition, by their sorted labels."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                found[tuple(sorted(sample.labels.items()))] = sample.value
    return found


def scrape(app, **kwargs) -> str:
    response = app.test_client().get("/metrics", **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.content_type.startswith("text/plain")
    return response.get_data(as_text=True)


def request_count(app, route: str, status: str = "2xx", method: str = "GET") -> float:
    key = (("method", method), ("route", route), ("status", status))
    return samples(scrape(app), f"{REQUESTS}_count").get(key, 0.0)


def test_route_histogram_counts_a_request_by_url_rule(app, create_member, login):
    member = create_member("reseau")
    client = login(member, "reseau")
    before = request_count(app, "/members/<int:member_id>")
    assert client.get(f"/members/{member.id}").status_code == 200
    assert request_count(app, "/members/<int:member_id>") == before + 1
    routes = {dict(k)["route"] for k in samples(scrape(app), f"{REQUESTS}_count")}
    assert f"/members/{member.id}" not in routes  # never the raw path


def test_unmatched_paths_and_odd_methods_share_bounded_labels(app):
    client = app.test_client()
    before = request_count(app, "unmatched", "4xx")
    client.get("/no/such/page/123", base_url="http://reseau.localhost")
    client.get("/no/such/page/456", base_url="http://reseau.localhost")
    assert request_count(app, "unmatched", "4xx") == before + 2
    before = request_count(app, "unmatched", "4xx", "other")
    client.open("/healthz", method="BREW")  # no rule for this method: unmatched
    assert request_count(app, "unmatched", "4xx", "other") == before + 1


def test_search_and_chain_timings_are_observed(ctx, create_member):
    a, b = create_member("reseau"), create_member("reseau")
    instance = db.session.scalar(select(Instance).where(Instance.slug == "reseau"))
    text = scrape(ctx)
    searches = samples(text, "maillon_search_duration_seconds_count")[()]
    chains = samples(text, "maillon_chain_search_duration_seconds_count")[()]
    search_members(db.session, instance, None, text="member")
    chains_between(db.session, instance, a.id, b.id, max_hops=3)
    text = scrape(ctx)
    assert samples(text, "maillon_search_duration_seconds_count")[()] == searches + 1
    assert samples(text, "maillon_chain_search_duration_seconds_count")[()] == chains + 1


def test_jobs_queue_gauges_by_kind(ctx):
    now = utcnow()
    db.session.add_all([
        Job(kind="send_email", payload={}, run_after=now - timedelta(hours=1)),
        Job(kind="send_email", payload={}, run_after=now - timedelta(minutes=5)),
        Job(kind="send_email", payload={}, run_after=now + timedelta(hours=1)),
        Job(kind="index_members", payload={}, status="failed", finished_at=now),
        Job(kind="index_members", payload={}, status="done", finished_at=now),
    ])
    db.session.commit()
    text = scrape(ctx)
    email, index = (("kind", "send_email"),), (("kind", "index_members"),)
    assert samples(text, "maillon_jobs_queued")[email] == 3
    assert samples(text, "maillon_jobs_ready")[email] == 2
    assert samples(text, "maillon_jobs_oldest_ready_age_seconds")[email] >= 3600
    assert samples(text, "maillon_jobs_failed")[index] == 1
    assert samples(text, "maillon_jobs_queued")[index] == 0
    assert samples(text, "maillon_jobs_oldest_ready_age_seconds")[index] == 0


def test_metrics_refuse_a_non_loopback_client_without_the_token(app):
    client = app.test_client()
    assert client.get("/metrics", environ_base=OUTSIDE).status_code == 403
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::ffff:127.0.0.1"}
                      ).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200


def test_metrics_token_opens_them_to_other_clients(app, app_config):
    tokened = create_app({**app_config, "METRICS_TOKEN": "s3cret"})
    client = tokened.test_client()
    assert client.get("/metrics", environ_base=OUTSIDE,
                      headers={"Authorization": "Bearer s3cret"}).status_code == 200
    assert client.get("/metrics", environ_base=OUTSIDE,
                      headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert client.get("/metrics", environ_base=OUTSIDE).status_code == 403
    tokened.extensions["maillon.engine"].dispose()


def test_an_empty_token_opens_nothing(app):
    response = app.test_client().get("/metrics", environ_base=OUTSIDE,
                                     headers={"Authorization": "Bearer "})
    assert response.status_code == 403


def test_metrics_answer_for_an_unknown_host(app):
    assert app.test_client().get("/metrics", base_url="http://10.0.0.5").status_code == 200


# One web process of a gunicorn deployment: prepare_multiproc_dir (or the environment) makes
# the metrics file-backed, and a scrape sums every process's files.
PROCESS = """
import json, os, sys
sys.path[:0] = ["platform", "."]
from maillon import create_app
from maillon.models import metadata
from maillon.ops.metrics import prepare_multiproc_dir
tmp, prepare, hits = sys.argv[1], sys.argv[2] == "prepare", int(sys.argv[3])
app = create_app({"TESTING": True, "VAR_DIR": tmp + "/var", "SECRET_KEY": "x",
                  "DATABASE_URL": "sqlite:///" + tmp + "/m.db"})
if prepare:
    prepare_multiproc_dir(tmp + "/metrics")
metadata.create_all(app.extensions["maillon.engine"])
client = app.test_client()
for _ in range(hits):
    client.get("/healthz")
print(json.dumps({"pid": os.getpid(), "metrics": client.get("/metrics").get_data(as_text=True)}))
"""


def _process(tmp: Path, mode: str, hits: int, env: dict[str, str]) -> dict:
    done = subprocess.run(  # noqa: S603 - our own interpreter, a fixed script
        [sys.executable, "-c", PROCESS, str(tmp), mode, str(hits)], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_processes_share_metrics_through_the_multiprocess_directory(tmp_path):
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "histogram_99999999.db").write_bytes(b"stale, from an earlier run")
    (folder / "README").write_text("not ours")
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    key = (("method", "GET"), ("route", "/healthz"), ("status", "2xx"))

    first = _process(tmp_path, "prepare", 2, env)
    assert samples(first["metrics"], f"{REQUESTS}_count")[key] == 2
    assert not (folder / "histogram_99999999.db").exists()  # wiped at start
    assert (folder / "README").exists()  # only metric files are removed
    assert (folder / f"histogram_{first['pid']}.db").exists()  # file-backed

    second = _process(tmp_path, "env", 1, {**env, "PROMETHEUS_MULTIPROC_DIR": str(folder)})
    assert samples(second["metrics"], f"{REQUESTS}_count")[key] == 3  # both processes


@pytest.mark.parametrize("status,expected", [(200, "2xx"), (302, "3xx"), (404, "4xx"),
                                             (503, "5xx")])
def test_status_class(status, expected):
    from maillon.ops.metrics import status_class

    assert status_class(status) == expected
