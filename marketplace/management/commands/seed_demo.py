"""Seed the demo: one requester organisation with an active project that has gold tasks, three
workers, one admin, and four crowd workers who have already answered two thirds of the project
(one of them carelessly) through the real claim and submit services, aggregated, so the Results
and Workers pages open with final labels, confidence, gold accuracy and a quality flag. Safe to
run again: it finds what exists and creates, answers and aggregates nothing twice."""

import os
import random
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import RequesterAccount, Role, User
from accounts.services import user_create
from marketplace.models import Assignment, Project, Task, TaskStatus, TemplateType
from marketplace.services.aggregation import project_aggregate, projects_needing_aggregation
from marketplace.services.assignments import assignment_claim, assignment_submit
from marketplace.services.projects import project_create, project_publish, tasks_add
from marketplace.services.quality import quality_rules_run, quality_settings_update
from payments.services.funds import funds_deposit

PASSWORD = "quorum-demo-2026"
ORGANISATION = "Acme Research"
PROJECT_TITLE = "Movie review sentiment"
PEOPLE = [
    ("admin@quorum.local", Role.STAFF, "Ada Admin"),
    ("requester@quorum.local", Role.REQUESTER, "Rita Requester"),
    ("worker1@quorum.local", Role.WORKER, "Wendy Worker"),
    ("worker2@quorum.local", Role.WORKER, "Walter Worker"),
    ("worker3@quorum.local", Role.WORKER, "Wu Worker"),
]
REVIEWS = [
    ("A moving, beautifully acted film.", "positive"),
    ("Two hours I will never get back.", "negative"),
    ("The plot was fine, the ending rushed.", "neutral"),
    ("An instant classic, I laughed and cried.", "positive"),
    ("Wooden dialogue and a confusing story.", "negative"),
    ("It was okay; nothing special.", "neutral"),
    ("Brilliant score and stunning visuals.", "positive"),
    ("The worst sequel of the decade.", "negative"),
    ("Average at best, though the cast tries.", "neutral"),
    ("I would happily watch it again tomorrow.", "positive"),
    ("Boring from start to finish.", "negative"),
    ("Some good moments, some slow ones.", "neutral"),
    ("A warm, funny film with a terrific lead.", "positive"),
    ("Predictable, loud and far too long.", "negative"),
    ("Half of it works; the other half drags.", "neutral"),
    ("Not worth the ticket, not even on a rainy day.", "negative"),
    ("Smart writing and a cast that clearly had fun.", "positive"),
    ("I left halfway through.", "negative"),
    ("Watchable once, forgettable after.", "neutral"),
    ("A few laughs, a lot of filler.", "neutral"),
    ("The director's best work in years.", "positive"),
    ("Gorgeous to look at, moving to the end.", "positive"),
    ("Neither good nor bad, just there.", "neutral"),
    ("Painfully slow and badly edited.", "negative"),
]
DEMO_FUNDS_CENTS = 50_000  # $500 by bank transfer, recorded once (the reference is fixed)
GOLD_EVERY = 4  # every fourth review is a gold task with its known answer

# email, name, share of right answers (None: careless, always "positive"), seconds per answer
CROWD = [
    ("crowd1@quorum.local", "Cora Crowd", 0.95, (9, 40)),
    ("crowd2@quorum.local", "Chidi Crowd", 0.9, (7, 30)),
    ("crowd3@quorum.local", "Camille Crowd", 0.8, (6, 25)),
    ("crowd4@quorum.local", "Hasty Harry", None, (1, 2)),
]
CROWD_SHARE = 2 / 3  # of the regular reviews, completed before the visitor arrives
# Rules that catch the careless crowd worker (a flag, not a block: the demo stays reversible).
DEMO_QUALITY_RULES = {
    "fast_answer_seconds": 3,
    "fast_answer_count": 5,
    "constant_answer_run": 5,
    "constant_gold_accuracy_below": 0.7,
}
SEED = 123
# A careful worker's mistakes are the plausible ones: a clear review read as neutral, a mixed
# one read as clear.
CONFUSED_WITH = {
    "positive": ["neutral"],
    "negative": ["neutral"],
    "neutral": ["positive", "negative"],
}


def _answer(right: str, accuracy: float | None, rng: random.Random) -> str:
    """A crowd worker's answer: right with probability ``accuracy``, otherwise a plausible
    mistake; the careless worker (``accuracy`` None) always says "positive"."""
    if accuracy is None:
        return "positive"
    return right if rng.random() < accuracy else rng.choice(CONFUSED_WITH[right])


class Command(BaseCommand):
    help = "Create the demo organisation, project, workers, admin and crowd answers (idempotent)."

    def handle(self, *args, **options):
        with transaction.atomic():
            project = self._people_and_project()
        # Outside the transaction: claims, submits and aggregation open their own, short ones.
        answered = self._crowd_answers(project)
        if project.pk in set(projects_needing_aggregation()):
            project_aggregate(project_id=project.pk)
        port = os.environ.get("PORT", "8000")  # scripts/run.sh serves on $PORT
        self.stdout.write(self.style.SUCCESS(f"Demo ready at http://127.0.0.1:{port}"))
        for email, role, _ in PEOPLE:
            self.stdout.write(f"  {role:<10} {email:<26} password: {PASSWORD}")
        if answered:
            self.stdout.write(
                f"  {len(CROWD)} crowd workers (crowd1@… to crowd{len(CROWD)}@quorum.local) "
                f"gave {answered} answers; crowd{len(CROWD)} answers carelessly."
            )

    def _people_and_project(self) -> Project:
        account = RequesterAccount.objects.filter(name=ORGANISATION).first()
        people = PEOPLE + [(email, Role.WORKER, name) for email, name, _, _ in CROWD]
        for email, role, name in people:
            if User.objects.filter(email=email).exists():
                continue
            user = user_create(
                email=email,
                password=PASSWORD,
                role=role,
                full_name=name,
                organisation_name=ORGANISATION,
                requester_account=account,
            )
            if role == Role.REQUESTER:
                account = user.requester_account
        requester = User.objects.get(email="requester@quorum.local")
        funds_deposit(
            requester_account=account,
            amount_cents=DEMO_FUNDS_CENTS,
            reference="demo-opening-balance",
        )
        project = Project.objects.filter(account=account, title=PROJECT_TITLE).first()
        return project or self._create_project(account, requester)

    def _crowd_answers(self, project: Project) -> int:
        """Round after round each crowd worker claims and answers one review (so every review
        gets its answers from three of the four) until the crowd's share is complete. Runs once
        per project: not again when a crowd worker has an assignment there. Returns the number
        of answers given."""
        profiles = {email: (accuracy, seconds) for email, _, accuracy, seconds in CROWD}
        crowd = list(User.objects.filter(email__in=profiles).order_by("email"))
        if Assignment.objects.filter(project=project, worker__in=crowd).exists():
            return 0
        project = quality_settings_update(project=project, **DEMO_QUALITY_RULES)
        truth = dict(REVIEWS)
        regular = Task.objects.filter(project=project, is_gold=False)
        target = round(CROWD_SHARE * regular.count())
        rng = random.Random(SEED)  # noqa: S311 - a demo, not a secret
        clock = timezone.now() - timedelta(hours=3)
        answered = 0
        # The claims draw gold with the module-level random: seeded here (and restored), the
        # same crowd answers the same gold tasks in every fresh demo.
        state = random.getstate()
        random.seed(SEED)
        # One transaction for all the answers: one commit instead of one per answer, and nothing
        # else is running while the demo is seeded (claims normally want none held open).
        try:
            with transaction.atomic():
                while regular.filter(status=TaskStatus.COMPLETE).count() < target:
                    answered_before = answered
                    for worker in crowd:
                        accuracy, (fastest, slowest) = profiles[worker.email]
                        claimed = assignment_claim(worker=worker, project=project, now=clock)
                        if claimed is None:
                            continue
                        answer = _answer(truth[claimed.data["text"]], accuracy, rng)
                        clock += timedelta(seconds=rng.uniform(fastest, slowest))
                        assignment_submit(
                            worker=worker,
                            assignment_id=claimed.assignment_id,
                            answer=answer,
                            now=clock,
                        )
                        answered += 1
                    if answered == answered_before:
                        break  # nothing left to claim
        finally:
            random.setstate(state)
        # The submits' own jobs (the rules, a debounced aggregation) ran as the transaction
        # committed, but not inside a test's transaction; the rules record each action once,
        # so running them again here is harmless.
        for worker in crowd:
            quality_rules_run(project_id=project.pk, worker_id=worker.pk)
        return answered

    def _create_project(self, account, requester) -> Project:
        project = project_create(
            account=account,
            created_by=requester,
            title=PROJECT_TITLE,
            description="Is this movie review positive, negative or neutral?",
            instructions=(
                "Read the review and choose its **overall** sentiment.\n\n"
                "- *Positive*: the reviewer recommends the film.\n"
                "- *Negative*: the reviewer advises against it.\n"
                "- *Neutral*: mixed or no clear opinion."
            ),
            template_type=TemplateType.CLASSIFICATION,
            label_config={
                "labels": [
                    {"value": "positive", "shortcut": "1", "description": "Recommends it"},
                    {"value": "negative", "shortcut": "2", "description": "Advises against"},
                    {"value": "neutral", "shortcut": "3", "description": "Mixed or unclear"},
                ]
            },
            reward_cents=5,
            overlap_min=3,
            overlap_max=3,
            gold_ratio=0.2,
        )
        tasks_add(
            project=project,
            items=[
                {
                    "external_id": f"review-{number}",
                    "data": {"text": text},
                    "gold_answer": label if number % GOLD_EVERY == 0 else None,
                }
                for number, (text, label) in enumerate(REVIEWS, start=1)
            ],
        )
        return project_publish(project=project)
