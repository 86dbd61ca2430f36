"""Hubs in the demo: on each instance a few topic hubs (open and by request), threads with
replies and a mention, made through the hub services by ordinary members who are not personas
(whose pages and notification counts the tours and tests walk).

Draws come from their own seeded generator (``<seed>:<slug>:hubs``), after every other demo
step, so no earlier draw moves. Idempotent: an instance with any hub gets none.
"""

from __future__ import annotations

import random

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from maillon.demo.catalogue import community_for
from maillon.hubs import services, threads
from maillon.hubs.models import Hub
from maillon.hubs.text import handle_of
from maillon.members.models import Member
from maillon.tenancy.models import Instance

# (name, description, visibility, [(title, opening text, [reply texts])]); "{mention}" in a
# text becomes the @handle of another member of the hub.
HUBS: dict[str, list[tuple[str, str, str, list[tuple[str, str, list[str]]]]]] = {
    "academia": [
        ("E-learning", "Plateformes, pédagogie en ligne, MOOC et évaluation à distance.", "open",
         [("Moodle ou Canvas pour un master hybride ?",
           "Nous passons notre master en hybride à la rentrée. Vos retours sur Moodle et "
           "Canvas, côté enseignants comme côté étudiants ?",
           ["Moodle chez nous depuis dix ans : robuste, mais l’ergonomie vieillit.",
            "{mention} a monté un MOOC l’an dernier, son avis serait précieux.",
            "Canvas pour les quiz, clairement. Voir https://www.instructure.com/canvas"]),
          ("Évaluer à distance sans surveillance intrusive",
           "Quelles modalités d’examen en ligne utilisez-vous qui respectent la vie privée "
           "des étudiants ?", ["Des oraux courts en visio, et des projets à rendre."])]),
        ("Cytologie", "Cytologie, cytopathologie et imagerie cellulaire.", "request",
         [("Colorations pour la cytologie urinaire",
           "Papanicolaou ou May-Grünwald Giemsa pour les urines ? Nous comparons.",
           ["Papanicolaou, avec la classification de Paris.",
            "D’accord avec {mention} : Paris pour le compte rendu."])]),
        ("Communication et médias", "Communication scientifique, médias et vulgarisation.",
         "open",
         [("Parler de sa thèse à la radio",
           "On m’invite à une émission grand public. Des conseils pour préparer ?",
           ["Trois messages, pas plus, et un exemple concret pour chacun.",
            "{mention} fait de la médiation scientifique, demande-lui !"])]),
    ],
    "acme": [
        ("Sales and partnerships", "Deals, partner programmes and what works in the field.",
         "open",
         [("Partner onboarding that actually sticks",
           "How do you keep new reseller partners active after the first quarter?",
           ["A named contact on our side and a shared pipeline review every month.",
            "{mention} ran our partner programme in Lyon: worth a chat."])]),
        ("Hiring managers", "Recruiting, interviews and onboarding, for managers.", "request",
         [("Structured interviews: your scorecards?",
           "We are moving to structured interviews. What does your scorecard look like?",
           ["Four competencies, a 1-4 scale, written evidence for each score.",
            "Same as {mention}, plus a calibration meeting every quarter."])]),
    ],
    "reseau": [
        ("Entraide juridique", "Droit du travail, associations, démarches : on s’entraide.",
         "open",
         [("Statuts d’association : modèle à partager ?",
           "Nous créons une association de quartier. Quelqu’un aurait un modèle de statuts ?",
           ["Le site service-public.fr en propose un : https://www.service-public.fr",
            "{mention} a rédigé ceux de notre club, elle pourra t’aider."])]),
        ("Bénévolat", "Missions, coordination et reconnaissance des bénévoles.", "request",
         [("Garder ses bénévoles motivés",
           "Comment remerciez-vous vos bénévoles au fil de l’année ?",
           ["Un repas de fin de saison et des nouvelles régulières des projets.",
            "Comme {mention}, et un mot personnel après chaque mission."])]),
    ],
}


def _ordinary_members(session: Session, instance: Instance) -> list[Member]:
    community = community_for(instance.slug, instance.setting("registration.email_domains"))
    personas = {p.email for p in community.personas}
    return [m for m in session.scalars(select(Member).where(
        Member.instance_id == instance.id, Member.role == "member",
        Member.status == "active").order_by(Member.id)) if m.email not in personas]


def _unique_handles(members: list[Member]) -> list[Member]:
    seen: dict[str, int] = {}
    for m in members:
        seen[handle_of(m.name)] = seen.get(handle_of(m.name), 0) + 1
    return [m for m in members if seen[handle_of(m.name)] == 1]


def load_hubs(session: Session, instance: Instance, *, seed: int = 7) -> int:
    """The instance's demo hubs with their threads; returns how many hubs were made."""
    plan = HUBS.get(instance.slug) or HUBS["reseau"]
    if session.scalar(select(exists().where(Hub.instance_id == instance.id))):
        return 0
    people = _unique_handles(_ordinary_members(session, instance))
    if len(people) < 12:
        return 0
    rng = random.Random(f"{seed}:{instance.slug}:hubs")
    made = 0
    for name, description, visibility, hub_threads in plan:
        creator, *others = rng.sample(people, 8)
        hub, _new = services.create_hub(session, instance, creator, {
            "name": name, "description": description, "visibility": visibility})
        for member in others:
            services.join_hub(session, instance, member, hub.id)
            if visibility == "request":
                services.decide_request(session, instance, creator, hub.id, member.id,
                                        approve=True)
        for title, text, replies in hub_threads:
            author = rng.choice(others)
            thread, _post, _ = threads.start_thread(session, instance, author, hub.id,
                                                    {"title": title, "text": text})
            for reply_text in replies:
                replier = rng.choice([creator, *others])
                mentioned = rng.choice([m for m in others if m.id != replier.id])
                threads.reply(session, instance, replier, thread.id, {
                    "text": reply_text.format(mention="@" + handle_of(mentioned.name))})
        made += 1
    return made
