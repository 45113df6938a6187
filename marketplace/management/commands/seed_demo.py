"""Seed the demo: one requester organisation with an active project that has gold tasks, three
workers and one admin. Safe to run again: it finds what exists and creates nothing twice."""

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import RequesterAccount, Role, User
from accounts.services import user_create
from marketplace.models import Project, TemplateType
from marketplace.services.projects import project_create, project_publish, tasks_add
from payments.services import funds_deposit

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
]
DEMO_FUNDS_CENTS = 50_000  # $500 by bank transfer, recorded once (the reference is fixed)
GOLD_EVERY = 4  # every fourth review is a gold task with its known answer


class Command(BaseCommand):
    help = "Create the demo organisation, project, workers and admin (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        account = RequesterAccount.objects.filter(name=ORGANISATION).first()
        for email, role, name in PEOPLE:
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
        if not Project.objects.filter(account=account, title=PROJECT_TITLE).exists():
            self._create_project(account, requester)
        self.stdout.write(self.style.SUCCESS("Demo ready at http://127.0.0.1:8000"))
        for email, role, _ in PEOPLE:
            self.stdout.write(f"  {role:<10} {email:<26} password: {PASSWORD}")

    def _create_project(self, account, requester):
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
        project_publish(project=project)
