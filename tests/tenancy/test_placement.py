"""The effective instance configurations: files, the operator's placement over them, and the
instances the operator created; a row that cannot be served is left out alone."""

from __future__ import annotations

import logging

from maillon.tenancy.placement import PlacedRow, clean_hosts, effective_configs
from maillon.tenancy.settings import parse_instance_config

THEMES = {"classic", "campus"}


def _file(slug: str, **values):
    return parse_instance_config(slug, {"name": slug.title(), **values}, known_themes=THEMES)


def test_files_alone_are_served_as_they_are():
    files = {"acme": _file("acme", hosts=["acme.example"])}
    configs = effective_configs(files, [], THEMES)
    assert configs == files


def test_the_operator_placement_replaces_the_file_hosts_and_theme():
    files = {"acme": _file("acme", hosts=["acme.example"], theme="classic")}
    rows = [PlacedRow("acme", "file", {}, {"hosts": ["people.acme.example"], "theme": "campus"})]
    config = effective_configs(files, rows, THEMES)["acme"]
    assert config.hosts == ("acme.localhost", "people.acme.example")
    assert config["theme"] == "campus"
    assert config["name"] == "Acme"


def test_an_operator_instance_comes_from_its_row_and_a_file_wins_over_it():
    rows = [PlacedRow("atelier", "operator",
                      {"name": "Atelier", "hosts": ["atelier.example"], "locale": "fr"}, {})]
    config = effective_configs({}, rows, THEMES)["atelier"]
    assert (config.hosts, config["locale"], config.path) == (
        ("atelier.localhost", "atelier.example"), "fr", None)
    files = {"atelier": _file("atelier", hosts=["other.example"])}
    assert effective_configs(files, rows, THEMES)["atelier"].hosts == (
        "atelier.localhost", "other.example")


def test_a_file_instance_without_its_file_is_not_served():
    rows = [PlacedRow("gone", "file", {"name": "Gone"}, {})]
    assert effective_configs({}, rows, THEMES) == {}


def test_a_row_claiming_a_served_host_or_a_missing_theme_is_left_out_alone(caplog):
    files = {"acme": _file("acme", hosts=["acme.example"])}
    rows = [PlacedRow("thief", "operator", {"name": "Thief", "hosts": ["acme.example"]}, {}),
            PlacedRow("themeless", "operator", {"name": "T"}, {"theme": "removed"}),
            PlacedRow("fine", "operator", {"name": "Fine"}, {})]
    with caplog.at_level(logging.ERROR):
        configs = effective_configs(files, rows, THEMES)
    assert sorted(configs) == ["acme", "fine"]
    assert configs["acme"].hosts == ("acme.localhost", "acme.example")
    assert "host acme.example is already served by acme" in caplog.text
    assert "themeless not served" in caplog.text


def test_hosts_are_cleaned_and_a_bad_one_named():
    assert clean_hosts([" A.Example.ORG. ", "", "a.example.org", "b.example"]) == [
        "a.example.org", "b.example"]
    try:
        clean_hosts(["ok.example", "bad_host!"])
    except ValueError as exc:
        assert str(exc) == "bad_host!"
    else:
        raise AssertionError("a bad host was accepted")
