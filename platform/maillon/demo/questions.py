"""Ask your network in the demo: on each instance two questions by ordinary members (not
personas), answered by some of their recipients, the asker thanking the best answer.

Draws come from their own seeded generator (``<seed>:<slug>:questions``), after every other
demo step. Idempotent: an instance with any question gets none.
"""

from __future__ import annotations

import random

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from maillon.demo.hubs import _ordinary_members
from maillon.moderation.sanctions import is_limited
from maillon.network.services import connection_ids
from maillon.questions import services
from maillon.questions.models import Question, QuestionRecipient
from maillon.tenancy.models import Instance

TEXTS = {
    "fr": [("Quelqu’un connaît-il une plateforme de cytométrie en flux ouverte aux "
            "laboratoires extérieurs, près de Lyon ?", "extended",
            ["La plateforme AniRA à Gerland accueille des équipes extérieures.",
             "Demande à l’équipe de l’IBV : ils ont un accord avec un plateau technique.",
             "Je n’en connais pas, mais je suis preneur de la réponse !"]),
           ("Un outil simple pour les inscriptions aux ateliers de notre association ?",
            "connections",
            ["Un formulaire en ligne suffit au début ; ensuite HelloAsso gère aussi les "
             "adhésions.", "Nous utilisons un tableur partagé, cela marche très bien."])],
    "en": [("Does anyone know a good employment lawyer for a small company in Lyon?",
            "extended",
            ["Maître Durand handled our case last year: fast and clear.",
             "Our HR association keeps a list of lawyers; I can send it to you.",
             "Ask the chamber of commerce, they have free first consultations."]),
           ("Which tool do you use to onboard new sales reps remotely?", "connections",
            ["A shared checklist and a buddy for the first month.",
             "Short recorded demos, then live role plays every Friday."])],
}


def load_questions(session: Session, instance: Instance, *, seed: int = 7) -> int:
    """The instance's demo questions with answers and a thank-you; returns how many."""
    if session.scalar(select(exists().where(Question.instance_id == instance.id))):
        return 0
    people = _ordinary_members(session, instance)
    askers = [m for m in people if len(connection_ids(session, instance, m.id)) >= 3
              and not is_limited(session, instance, m)]
    if len(askers) < 2:
        return 0
    rng = random.Random(f"{seed}:{instance.slug}:questions")
    plan = TEXTS["fr" if instance.setting("locale") == "fr" else "en"]
    made = 0
    for asker, (text, reach, answers) in zip(rng.sample(askers, 2), plan, strict=True):
        question, _count = services.ask_question(session, instance, asker,
                                                 {"text": text, "reach": reach})
        recipient_ids = list(session.scalars(select(QuestionRecipient.member_id).where(
            QuestionRecipient.instance_id == instance.id,
            QuestionRecipient.question_id == question.id).order_by(
            QuestionRecipient.member_id)))
        by_id = {m.id: m for m in people}
        answerers = [by_id[i] for i in recipient_ids if i in by_id]
        written = []
        for member, answer_text in zip(rng.sample(answerers, min(len(answers),
                                                                  len(answerers))),
                                       answers, strict=False):
            answer, _new = services.answer_question(session, instance, member, question.id,
                                                    {"text": answer_text})
            written.append(answer)
        if written:
            services.thank_answer(session, instance, asker, written[0].id)
        made += 1
    return made
