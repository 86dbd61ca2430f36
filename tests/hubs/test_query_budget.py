"""Query budgets of the hub and question pages: a thread with 2 replies costs as many queries
as one with 15, the list of hubs and a question's answers the same for 2 rows as for 15."""

from __future__ import annotations

from maillon.hubs import services, threads
from maillon.network.services import accept_connection, request_connection
from maillon.questions import services as questions
from tests import query_world, querycount
from tests.query_world import assert_constant_list, marked_rows

world = query_world.world
query_counter = querycount.query_counter
SIZES = (2, 15)


def _up_to(made: list[int], n: int, make) -> None:
    """Grow a list to ``n`` rows (``assert_constant_list`` asks for totals)."""
    while len(made) < n:
        made.append(make())


def test_thread_page(world, query_counter):
    hub, _ = world.call(services.create_hub, world.me, {"name": "Budget"})
    thread, _post, _ = world.call(threads.start_thread, world.me, hub.id,
                                  {"title": "Replies", "text": "Opening"})
    replies: list[int] = []

    def reply() -> int:
        return world.call(threads.reply, world.person(), thread.id, {"text": "A reply"})[0].id

    assert_constant_list(query_counter, lambda n: _up_to(replies, n, reply),
                         lambda: world.page(f"/threads/{thread.id}"),
                         marked_rows("post-reply"), budget=14, sizes=SIZES)


def test_hub_list(world, query_counter):
    hubs: list[int] = []

    def hub() -> int:
        creator = world.person()
        row, _ = world.call(services.create_hub, creator, {"name": f"Hub {creator}"})
        world.call(services.join_hub, world.me, row.id)
        return row.id

    assert_constant_list(query_counter, lambda n: _up_to(hubs, n, hub),
                         lambda: world.page("/hubs"), marked_rows('class="hub-item"'),
                         budget=12, sizes=SIZES)


def test_question_answers(world, query_counter):
    friends = []
    for _ in range(SIZES[1]):
        friend = world.person()
        row = world.call(request_connection, world.me, friend)
        world.call(accept_connection, friend, row.id)
        friends.append(friend)
    question, _ = world.call(questions.ask_question, world.me, {
        "text": "Who knows a good lab?", "reach": "connections"})
    answers: list[int] = []

    def answer() -> int:
        author = friends[len(answers)]
        return world.call(questions.answer_question, author, question.id,
                          {"text": "Here"})[0].id

    assert_constant_list(query_counter, lambda n: _up_to(answers, n, answer),
                         lambda: world.page(f"/questions/{question.id}"),
                         marked_rows('class="card" id="answer-'), budget=12, sizes=SIZES)
