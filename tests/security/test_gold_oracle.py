"""The gold oracle (issue 12, finding 2): a worker who claims and answers through the real API and,
after every claim and every answer, re-reads everything a worker can see — the feed (page and
API), the dashboard, the quality page and API, the history API, earnings, and every response of
claim, heartbeat, submit, skip, return and a late submit, with the claim's timing — then tries to
tell gold tasks from regular ones with what changed. The guesses must be no better than chance.

Method (tests/security/oracle.py): each channel's change across a step is a feature; a
leave-one-out lookup ("what did other tasks with this feature turn out to be") or the best
threshold on a timing is the classifier that colluding accounts could build; its accuracy must
not beat the majority baseline beyond an exact binomial bound (alpha 1e-3 per channel). Fixed
seeds: the same tasks are gold on every run, only timings vary.
"""

import random
import time
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from marketplace.models import Assignment
from marketplace.services import assignments as assignments_service
from marketplace.services.assignments import assignment_claim, assignments_expire
from tests.marketplace.factories import ProjectFactory, TaskFactory, WorkerFactory
from tests.security.oracle import (
    beats_chance,
    coarse,
    delta,
    json_text,
    loo_lookup_accuracy,
    loo_threshold_accuracy,
    page_text,
)

# Committed rows, so the quality job queued on commit runs (eager Celery) as in production.
pytestmark = pytest.mark.django_db(transaction=True)

GOLD_RATIO = 0.3
CYCLES = 120  # claims, each followed by an answer (N >= 100 tasks)
LATE_CYCLES = 100

# Headers that differ per response whatever the task (length follows the task's own data).
_VOLATILE_HEADERS = {"date", "content-length"}


@pytest.fixture(autouse=True)
def _fresh_gold_ratios():
    assignments_service._gold_ratios.clear()


def _api(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def _browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _response_text(response) -> str:
    """Status, headers (minus date and length) and the body with per-assignment keys masked."""
    headers = sorted(
        (name.lower(), value)
        for name, value in response.headers.items()
        if name.lower() not in _VOLATILE_HEADERS
    )
    body = response.json() if response.content else None
    return json_text({"status": response.status_code, "headers": headers, "body": body})


class Worker:
    """A worker with an API client and a logged-in browser, who reads every channel."""

    def __init__(self, user):
        user.save()  # the factory's password is not saved; the session checks its hash
        self.user = user
        self.api = _api(user)
        self.browser = _browser(user)

    def observe(self) -> dict[str, str]:
        pages = {
            "feed page": reverse("workers:task_feed"),
            "dashboard page": reverse("workers:dashboard"),
            "quality page": reverse("marketplace:worker_quality"),
        }
        apis = {
            "feed API": reverse("api:task_feed"),
            "quality API": reverse("api:my_quality"),
            "history API": reverse("api:assignment_list"),
            "earnings API": reverse("api:earnings"),
        }
        seen = {}
        for name, url in pages.items():
            response = self.browser.get(url)
            assert response.status_code == 200, name
            seen[name] = page_text(response.content.decode())
        for name, url in apis.items():
            response = self.api.get(url)
            assert response.status_code == 200, name
            seen[name] = json_text(response.json())
        return seen

    def claim(self, project):
        started = time.perf_counter()
        response = self.api.post(reverse("api:assignment_claim"), {"project": project.pk}, "json")
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, response.content
        return response, elapsed

    def post(self, name, assignment_id, body=None):
        return self.api.post(reverse(name, args=[assignment_id]), body or {}, "json")


def _gold_project(*, regular: int, gold: int, overlap: int):
    project = ProjectFactory(
        gold_ratio=GOLD_RATIO, overlap_min=overlap, overlap_max=overlap, time_limit_seconds=600
    )
    for number in range(regular + gold):
        # Interleaved, same shape of data: nothing in the data or the ids tells them apart.
        TaskFactory(project=project, gold=number % 4 == 3, data={"text": f"Item {number:04d}"})
    return project


def _verdict(features: dict[str, list], labels: list[bool]) -> dict[str, float]:
    """The classifier's accuracy per channel that beats chance (empty: gold is hidden)."""
    leaks = {}
    for channel, values in features.items():
        if channel.endswith("timing"):
            accuracy = loo_threshold_accuracy(values, labels)
        else:
            accuracy = loo_lookup_accuracy(values, labels)
        print(f"{channel}: {accuracy:.3f}")  # shown with -s or on failure
        if beats_chance(accuracy, labels):
            leaks[channel] = round(accuracy, 3)
    return leaks


def test_no_channel_tells_gold_from_regular_while_claiming_and_answering():
    random.seed(20250612)  # the claim's gold draw
    answers = random.Random(7)  # the worker's own choices, independent of the task
    project = _gold_project(regular=300, gold=100, overlap=3)
    worker = Worker(WorkerFactory())
    features: dict[str, list] = {}
    labels: list[bool] = []

    def record(channel, value):
        features.setdefault(channel, []).append(value)

    def record_change(channel, old, new):
        change = delta(old, new)
        record(channel, change)
        record(f"{channel}, which numbers moved", coarse(change))

    before = worker.observe()
    for _ in range(CYCLES):
        claimed, elapsed = worker.claim(project)
        assignment_id = claimed.json()["assignment"]
        after_claim = worker.observe()
        beat = worker.post("api:assignment_heartbeat", assignment_id)
        submitted = worker.post(
            "api:assignment_submit", assignment_id, {"answer": answers.choice(["cat", "dog"])}
        )
        assert submitted.status_code == 200, submitted.content
        after_submit = worker.observe()

        labels.append(Assignment.objects.get(pk=assignment_id).is_gold)
        record("claim response", _response_text(claimed))
        record("claim timing", elapsed)
        record("heartbeat response", _response_text(beat))
        record("submit response", _response_text(submitted))
        for channel in before:
            record_change(f"{channel} after the claim", before[channel], after_claim[channel])
            record_change(
                f"{channel} after the answer", after_claim[channel], after_submit[channel]
            )
        before = after_submit

    coarse_channels = [name for name in features if name.endswith("moved")]
    features["every channel together, which numbers moved"] = list(
        zip(*(features[name] for name in coarse_channels), strict=True)
    )
    assert 0.2 < sum(labels) / len(labels) < 0.4  # the mix the test means to have
    assert _verdict(features, labels) == {}


def test_skip_return_and_late_answers_treat_gold_and_regular_alike():
    """A late answer on an assignment the sweeper already expired, while another worker claims
    the work that was freed, and skip and return: the responses must not depend on gold."""
    random.seed(20250613)
    actions = random.Random(11)
    project = _gold_project(regular=500, gold=160, overlap=1)
    worker = Worker(WorkerFactory())
    rival = WorkerFactory()
    features: dict[str, list] = {}
    labels: list[bool] = []
    for _ in range(LATE_CYCLES):
        claimed, _elapsed = worker.claim(project)
        assignment_id = claimed.json()["assignment"]
        labels.append(Assignment.objects.get(pk=assignment_id).is_gold)
        action = actions.choice(["late"] * 4 + ["skip", "return"])
        if action == "late":
            Assignment.objects.filter(pk=assignment_id).update(
                claimed_at=timezone.now() - timedelta(hours=2),
                expires_at=timezone.now() - timedelta(hours=1),
            )
            assignments_expire()
            for _ in range(4):  # another worker takes the work that was given back
                assignment_claim(worker=rival, project=project.pk)
            response = worker.post("api:assignment_submit", assignment_id, {"answer": "cat"})
        else:
            response = worker.post(f"api:assignment_{action}", assignment_id)
        features.setdefault("late submit, skip and return responses", []).append(
            (action, _response_text(response))
        )
    assert _verdict(features, labels) == {}
