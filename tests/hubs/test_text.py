"""A post's text: handles, mentions found, and HTML that holds nothing a member typed as
markup (pure functions, no app)."""

from maillon.hubs.text import handle_of, initials, mentioned_handles, render_post


def _url(member_id: int) -> str:
    return f"/members/{member_id}"


def test_handles_fold_names_to_dotted_ascii():
    assert handle_of("Hélène Marchand-Roy") == "helene.marchand.roy"
    assert handle_of("  Ève  D'Arc ") == "eve.d.arc"
    assert {"e", "É", "È"} <= initials(["eve.durand"])


def test_mentions_are_found_once_and_not_in_addresses():
    text = "@ana.lima and @Ana.Lima, mail ana@lima.org or @bob-martin. @ana.lima"
    assert mentioned_handles(text) == ["ana.lima", "bob.martin"]
    assert len(mentioned_handles(" ".join(f"@p{n}" for n in range(30)))) == 10


def test_rendering_escapes_and_links_only_what_it_knows():
    html = str(render_post(
        'Hi @ana.lima <script>alert(1)</script>\nline two\n\n'
        'See https://example.org/a?b=1&c="x". @nobody',
        [{"id": 7, "handle": "ana.lima"}], _url))
    assert '<a class="mention" href="/members/7">@ana.lima</a>' in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert html.count("<p>") == 2 and "<br>" in html
    assert '<a href="https://example.org/a?b=1&amp;c=" rel="nofollow ugc noopener"' in html
    assert "@nobody" in html and 'href="/members' not in html.split("@nobody")[0][-40:]


def test_a_javascript_address_is_never_a_link():
    html = str(render_post("javascript:alert(1) and data:text/html,x", [], _url))
    assert "<a " not in html
