"""The requester's worker list with quality figures: summed over the requester's projects only,
a fixed number of queries per page, on the page and in the API."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from marketplace.models import AssignmentStatus, ProjectBlock, QualityAction
from marketplace.services.worker_stats import wilson_interval, worker_stats_refresh
from tests.marketplace.factories import AssignmentFactory, ProjectFactory, TaskFactory

pytestmark = pytest.mark.django_db


def answer(worker, project, *, gold=False, right=True, ms=1000):
    AssignmentFactory(
        task=TaskFactory(project=project, gold=gold),
        worker=worker,
        status=AssignmentStatus.SUBMITTED,
        answer="cat" if right else "dog",
        submitted_at=timezone.now(),
        duration_ms=ms,
    )


@pytest.fixture
def setting(requester, other_requester, worker):
    """The worker answered on two of Org A's projects and one of Org B's, very differently."""
    mine = [ProjectFactory(account=requester.requester_account, title=t) for t in ("P1", "P2")]
    theirs = ProjectFactory(account=other_requester.requester_account, title="Theirs")
    for ms in (1000, 2000):
        answer(worker, mine[0], ms=ms)
    answer(worker, mine[0], gold=True, right=True, ms=3000)
    answer(worker, mine[1], gold=True, right=True, ms=4000)
    answer(worker, mine[1], gold=True, right=False, ms=5000)
    for _ in range(3):
        answer(worker, theirs, gold=True, right=False, ms=90_000)
    for project in (*mine, theirs):
        worker_stats_refresh(project=project)
    QualityAction.objects.create(
        project=mine[0], worker=worker, rule="fast_answers", action="flag", reason="fast"
    )
    QualityAction.objects.create(
        project=theirs, worker=worker, rule="fast_answers", action="flag", reason="fast"
    )
    ProjectBlock.objects.create(project=theirs, worker=worker, reason="gold")
    return mine, theirs


def test_figures_are_summed_over_the_requesters_projects_only(
    api_client, requester, worker, setting
):
    api_client.force_authenticate(requester)
    (row,) = api_client.get(reverse("api:workforce_worker_list")).json()["results"]
    quality = row["quality"]
    assert (quality["gold_answers"], quality["gold_correct"], quality["answers"]) == (3, 2, 2)
    low, high = wilson_interval(2, 3)
    assert quality["gold_accuracy_low"] == pytest.approx(low)
    assert quality["gold_accuracy_high"] == pytest.approx(high)
    assert quality["median_duration_ms"] == 3000  # of 1000..5000; Org B's 90 s answers left out
    assert [p["title"] for p in quality["projects"]] == ["P1", "P2"]
    assert (row["open_flags"], row["blocked_projects"]) == (1, 0)


def test_another_organisation_sees_only_its_own_figures(
    api_client, other_requester, worker, setting
):
    api_client.force_authenticate(other_requester)
    (row,) = api_client.get(reverse("api:workforce_worker_list")).json()["results"]
    quality = row["quality"]
    assert (quality["gold_answers"], quality["gold_correct"]) == (3, 0)
    assert quality["median_duration_ms"] == 90_000
    assert [p["title"] for p in quality["projects"]] == ["Theirs"]
    assert (row["open_flags"], row["blocked_projects"]) == (1, 1)
    body = str(api_client.get(reverse("api:workforce_worker_list")).json())
    assert "P1" not in body and "P2" not in body


def test_staff_see_the_platform_totals(api_client, staff_user, worker, setting):
    api_client.force_authenticate(staff_user)
    rows = api_client.get(reverse("api:workforce_worker_list")).json()["results"]
    (row,) = [r for r in rows if r["id"] == worker.pk]
    assert (row["quality"]["gold_answers"], row["open_flags"], row["blocked_projects"]) == (6, 2, 1)


def test_the_list_costs_the_same_queries_for_one_worker_or_thirty(api_client, requester, make_user):
    project = ProjectFactory(account=requester.requester_account)
    api_client.force_authenticate(requester)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api_client.get(reverse("api:workforce_worker_list")).status_code == 200
        return len(captured)

    answer(make_user(), project, gold=True)
    worker_stats_refresh(project=project)
    one = queries()
    for _ in range(29):
        answer(make_user(), project, gold=True)
    worker_stats_refresh(project=project)
    assert queries() == one


def test_the_page_shows_accuracy_interval_median_flags_and_project_links(
    client, requester, worker, setting
):
    mine, _ = setting
    client.force_login(requester)
    page = client.get(reverse("workforce:requester_workers"))
    body = page.content.decode()
    (row,) = page.context["workers"]
    assert row.quality.gold_correct == 2 and row.open_flags == 1
    assert "67 %" in body and "3000 ms" in body
    assert reverse("marketplace:project_workers", args=[mine[0].pk]) in body
    assert "Theirs" not in body
    assert f"{reverse('workforce:requester_quality')}?worker={worker.pk}" in body
