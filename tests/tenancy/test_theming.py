"""Theme resolution (pure, on temporary folders), instance.toml checks, and the Jinja cache trap."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from maillon import create_app
from maillon.tenancy.settings import (
    InstanceConfigError,
    load_instance_configs,
    parse_instance_config,
)
from maillon.tenancy.theming import ThemeError, load_themes, theme_chain, theme_options

ROOT = Path(__file__).resolve().parents[2]


def write_theme(root: Path, name: str, body: str) -> Path:
    folder = root / name
    (folder / "templates").mkdir(parents=True, exist_ok=True)
    (folder / "theme.toml").write_text(body, encoding="utf-8")
    return folder


@pytest.fixture
def three_themes(tmp_path: Path) -> Path:
    write_theme(tmp_path, "base", '[options]\ncolor-primary = "#111111"\nradius = "8px"\n'
                'font-body = "sans-serif"\n')
    write_theme(tmp_path, "middle", 'inherit = "base"\n[options]\ncolor-primary = "#222222"\n'
                'color-accent = "#aa0000"\n')
    write_theme(tmp_path, "leaf", 'inherit = "middle"\n[options]\nradius = "2px"\n')
    return tmp_path


def config(theme: str, **overrides: Any):
    raw: dict[str, Any] = {"name": "Test", "theme": theme}
    if overrides:
        raw["theme_options"] = overrides
    return parse_instance_config("test", raw)


def test_chain_lists_the_theme_then_its_ancestors(three_themes):
    themes = load_themes(three_themes)
    assert [t.name for t in theme_chain(themes, "leaf")] == ["leaf", "middle", "base"]
    assert [t.name for t in theme_chain(themes, "base")] == ["base"]


def test_options_merge_from_the_root_down_then_the_instance(three_themes):
    themes = load_themes(three_themes)
    options = theme_options(themes, config("leaf", **{"color-accent": "#00ff00"}))
    assert options == {
        "color-primary": "#222222",  # middle overrides base
        "radius": "2px",  # leaf overrides base
        "font-body": "sans-serif",  # inherited from the root
        "color-accent": "#00ff00",  # the instance overrides the theme
    }


def test_instance_overrides_do_not_change_the_theme(three_themes):
    themes = load_themes(three_themes)
    theme_options(themes, config("leaf", radius="0"))
    assert theme_options(themes, config("leaf"))["radius"] == "2px"


def test_inheritance_cycle_is_a_theme_error_naming_the_theme(tmp_path):
    write_theme(tmp_path, "alpha", 'inherit = "beta"\n')
    write_theme(tmp_path, "beta", 'inherit = "alpha"\n')
    with pytest.raises(ThemeError, match="cycle") as err:
        load_themes(tmp_path)
    assert "alpha" in str(err.value) and "beta" in str(err.value)


def test_self_inheritance_is_a_cycle(tmp_path):
    write_theme(tmp_path, "ouroboros", 'inherit = "ouroboros"\n')
    with pytest.raises(ThemeError, match="'ouroboros': inheritance cycle"):
        load_themes(tmp_path)


def test_missing_parent_is_a_theme_error_naming_both(tmp_path):
    write_theme(tmp_path, "orphan", 'inherit = "ghost"\n')
    with pytest.raises(ThemeError, match="theme 'orphan' inherits 'ghost', which does not exist"):
        load_themes(tmp_path)


def test_unknown_theme_is_a_theme_error(three_themes):
    with pytest.raises(ThemeError, match="no theme named 'nope'"):
        theme_chain(load_themes(three_themes), "nope")


@pytest.mark.parametrize("line, problem", [
    ('color-primary = "red; } body { display: none"', "not a plain CSS value"),
    ('color-primary = "</style><script>x</script>"', "not a plain CSS value"),
    ("Color_Primary = \"red\"", "lower-case words and dashes"),
    ("radius = true", "string or a number"),
    ("radius = [1, 2]", "string or a number"),
])
def test_bad_option_values_are_rejected(tmp_path, line, problem):
    write_theme(tmp_path, "bad", f"[options]\n{line}\n")
    with pytest.raises(ThemeError, match=problem) as err:
        load_themes(tmp_path)
    assert "bad" in str(err.value)


def test_bad_instance_option_value_names_the_instance(three_themes):
    with pytest.raises(ThemeError, match="theme_options: option 'logo'"):
        theme_options(load_themes(three_themes), config("leaf", logo="x.svg; color: red"))


def test_unknown_theme_toml_key_is_rejected(tmp_path):
    write_theme(tmp_path, "typo", 'inherits = "classic"\n')
    with pytest.raises(ThemeError, match="unknown key 'inherits'"):
        load_themes(tmp_path)


def test_project_themes_resolve():
    themes = load_themes(ROOT / "themes")
    assert [t.name for t in theme_chain(themes, "academic")] == ["academic", "classic"]
    assert [t.name for t in theme_chain(themes, "corporate")] == ["corporate", "classic"]
    assert theme_chain(themes, "classic")[0].inherit is None


# instance.toml: a bad file stops the start with the file, the key and the problem.

def write_instance(root: Path, slug: str, body: str) -> Path:
    folder = root / slug
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "instance.toml"
    path.write_text(body, encoding="utf-8")
    return path


@pytest.mark.parametrize("body, key, problem", [
    ('name = "X"\ncolour = "red"\n', "colour", "unknown key"),
    ('name = "X"\n[introductions]\nchain_visibility = "everyone"\n',
     "introductions.chain_visibility", "must be one of full, first_link, stepwise"),
    ('name = "X"\n[introductions]\nmax_hops = 7\n', "introductions.max_hops", "at most 6"),
    ('name = "X"\n[introductions]\nmax_hops = "six"\n', "introductions.max_hops", "must be int"),
    ('name = "X"\n[registration]\nverify_email = "yes"\n', "registration.verify_email",
     "must be bool"),
    ('name = "X"\nlocale = "de"\n', "locale", "must be one of en, fr"),
    ('tagline = "no name"\n', "name", "missing"),
])
def test_bad_instance_toml_names_file_key_and_problem(tmp_path, body, key, problem):
    path = write_instance(tmp_path, "broken", body)
    with pytest.raises(InstanceConfigError) as err:
        load_instance_configs(tmp_path, {"classic"})
    message = str(err.value)
    assert str(path) in message and key in message and problem in message


def test_instance_toml_with_unknown_theme_is_rejected(tmp_path):
    write_instance(tmp_path, "lost", 'name = "X"\ntheme = "baroque"\n')
    with pytest.raises(InstanceConfigError, match="theme: no theme named 'baroque'"):
        load_instance_configs(tmp_path, {"classic", "academic"})


def test_project_instances_parse():
    themes = load_themes(ROOT / "themes")
    configs = {c.slug: c for c in load_instance_configs(ROOT / "instances", set(themes))}
    assert configs["academia"]["introductions.chain_visibility"] == "stepwise"
    assert configs["acme"]["registration.email_domains"] == ["acme.example"]
    assert configs["reseau"]["registration.verify_email"] is False
    assert theme_options(themes, configs["acme"])["color-accent"] == "#ff6a13"


def test_bad_instance_toml_stops_create_app(tmp_path, app_config):
    instances = tmp_path / "instances"
    shutil.copytree(ROOT / "instances" / "reseau", instances / "reseau")
    path = write_instance(instances, "broken", 'name = "X"\n[introductions]\nmax_hops = 7\n')
    with pytest.raises(InstanceConfigError) as err:
        create_app({**app_config, "INSTANCES_DIR": str(instances)})
    assert str(path) in str(err.value) and "introductions.max_hops" in str(err.value)


def test_bad_instance_toml_stops_the_command_with_one_line(tmp_path, app_config):
    from click.testing import CliRunner

    from maillon.cli import main

    instances = tmp_path / "instances"
    shutil.copytree(ROOT / "instances" / "reseau", instances / "reseau")
    path = write_instance(instances, "broken", 'name = "X"\n[introductions]\nmax_hops = 7\n')
    result = CliRunner().invoke(main, ["instances", "sync"], env={
        "MAILLON_INSTANCES_DIR": str(instances), "MAILLON_VAR_DIR": app_config["VAR_DIR"],
        "MAILLON_DATABASE_URL": app_config["DATABASE_URL"]})
    assert result.exit_code == 1
    assert f"Error: {path}: introductions.max_hops: must be at most 6" in result.output
    assert "Traceback" not in result.output


def test_theme_cycle_stops_create_app(tmp_path, app_config):
    themes = tmp_path / "themes"
    shutil.copytree(ROOT / "themes" / "classic", themes / "classic")
    write_theme(themes, "loop", 'inherit = "loop"\n')
    with pytest.raises(ThemeError, match="loop"):
        create_app({**app_config, "THEMES_DIR": str(themes)})


# The cache trap: every instance has its own Jinja environment, so a template compiled for one
# tenant is never served to another, however requests interleave.

MARKERS = {
    "academia": ("/theme/academic.css", "academic-logo.svg", 'data-theme="academic"',
                 "brand-academic"),
    "acme": ("/theme/corporate.css", "/theme/acme.css", "acme-logo.svg",
             'data-theme="corporate"', "acme-footer"),
    "reseau": ("/theme/classic.css", "classic-logo.svg", 'data-theme="classic"'),
}
FOREIGN = {
    "academia": ("corporate.css", "acme.css", "acme-logo", "acme-footer", "acme-hero",
                 "utility-strip", "classic-logo.svg"),
    "acme": ("academic.css", "academic-logo", "brand-academic", "chapters",
             "classic-logo.svg"),
    "reseau": ("academic.css", "corporate.css", "acme", "brand-academic", "utility-strip"),
}


def test_interleaved_instances_get_only_their_own_theme(client_for):
    clients = {slug: client_for(slug) for slug in MARKERS}
    for _ in range(3):
        for path in ("/", "/login"):
            for slug in ("academia", "acme", "reseau", "acme", "academia"):
                body = clients[slug].get(path).get_data(as_text=True)
                for marker in MARKERS[slug]:
                    assert marker in body, (slug, path, marker)
                for marker in FOREIGN[slug]:
                    assert marker not in body, (slug, path, marker)
