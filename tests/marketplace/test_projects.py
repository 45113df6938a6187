import pytest

from marketplace.markdown import render_markdown
from marketplace.models import Project, ProjectStatus, Task, TaskStatus, TemplateType
from marketplace.pricing import estimate_cost
from marketplace.services.projects import (
    ProjectError,
    project_archive,
    project_complete,
    project_create,
    project_pause,
    project_publish,
    project_resume,
    project_update,
    tasks_add,
)

pytestmark = pytest.mark.django_db


def add_tasks(project, regular=3, gold=1):
    items = [{"data": {"text": f"item {n}"}} for n in range(regular)]
    items += [{"data": {"text": f"gold {n}"}, "gold_answer": "cat"} for n in range(gold)]
    tasks_add(project=project, items=items)


def test_a_project_with_tasks_and_gold_goes_through_its_whole_lifecycle(project):
    add_tasks(project)
    assert project_publish(project=project).status == ProjectStatus.ACTIVE
    assert project_pause(project=project).status == ProjectStatus.PAUSED
    assert project_resume(project=project).status == ProjectStatus.ACTIVE
    assert project_complete(project=project).status == ProjectStatus.COMPLETED
    assert project_archive(project=project).status == ProjectStatus.ARCHIVED
    project.refresh_from_db()
    assert project.published_at is not None


@pytest.mark.parametrize(
    ("steps", "refused", "message"),
    [
        ([], project_pause, "draft project cannot pause"),
        ([], project_resume, "draft project cannot resume"),
        ([], project_complete, "draft project cannot complete"),
        ([project_publish], project_publish, "active project cannot publish"),
        ([project_publish], project_archive, "active project cannot archive"),
        ([project_publish, project_complete], project_resume, "completed project cannot resume"),
    ],
)
def test_transitions_outside_the_lifecycle_are_refused(project, steps, refused, message):
    add_tasks(project)
    for step in steps:
        step(project=project)
    before = Project.objects.get(pk=project.pk).status
    with pytest.raises(ProjectError, match=message):
        refused(project=project)
    assert Project.objects.get(pk=project.pk).status == before


def test_publishing_needs_tasks(project):
    with pytest.raises(ProjectError, match="Add at least one task"):
        project_publish(project=project)


def test_publishing_needs_gold_when_the_gold_ratio_is_above_zero(project):
    add_tasks(project, gold=0)
    with pytest.raises(ProjectError, match="no gold tasks"):
        project_publish(project=project)
    project_update(project=project, gold_ratio=0)
    assert project_publish(project=project).status == ProjectStatus.ACTIVE


def test_an_invalid_label_config_is_refused_with_the_field(requester):
    with pytest.raises(ProjectError) as error:
        project_create(
            account=requester.requester_account,
            created_by=requester,
            title="Bad",
            template_type=TemplateType.CLASSIFICATION,
            label_config={"labels": [{"value": "a"}, {"value": "a"}]},
            reward_cents=5,
        )
    assert "label_config" in error.value.errors
    assert "duplicate" in " ".join(error.value.errors["label_config"]).lower()
    assert not Project.objects.exists()


def test_overlap_range_is_checked(requester, make_project):
    with pytest.raises(ProjectError) as error:
        make_project(requester, overlap_min=4, overlap_max=2)
    assert "overlap_max" in error.value.errors


def test_a_live_project_keeps_its_template_labels_and_reward(project):
    add_tasks(project)
    project_publish(project=project)
    with pytest.raises(ProjectError) as error:
        project_update(project=project, reward_cents=1, template_type=TemplateType.RATING)
    assert set(error.value.errors) == {"reward_cents", "template_type"}
    project.refresh_from_db()
    assert project.reward_cents == 5


def test_a_live_project_may_raise_overlap_and_reopens_complete_tasks(project):
    add_tasks(project)
    project_publish(project=project)
    Task.objects.filter(project=project, is_gold=False).update(
        slots_taken=3, answers_count=3, status=TaskStatus.COMPLETE
    )
    project_update(project=project, overlap_max=5, title="Animals, more answers")
    regular = Task.objects.filter(project=project, is_gold=False)
    assert set(regular.values_list("overlap", flat=True)) == {5}
    assert set(regular.values_list("status", flat=True)) == {TaskStatus.OPEN}
    with pytest.raises(ProjectError, match="only be raised"):
        project_update(project=project, overlap_max=4)


def test_a_draft_may_change_everything(project):
    project_update(
        project=project, template_type=TemplateType.RATING, label_config={"min": 1, "max": 5}
    )
    project.refresh_from_db()
    assert project.template_type == TemplateType.RATING


def test_cost_estimate_counts_gold_checks_and_fees_in_whole_cents(settings):
    settings.PLATFORM_FEE_BASIS_POINTS = 2000
    estimate = estimate_cost(tasks=1000, overlap_max=3, reward_cents=5, gold_ratio=0.1)
    assert estimate.regular_assignments == 3000
    assert estimate.gold_assignments == 334  # 3000 * 0.1 / 0.9, rounded up
    assert estimate.reward_cents == 3334 * 5
    assert estimate.fee_cents == 3334  # 20 % of 16,670
    assert estimate.total_cents == 16670 + 3334


def test_instructions_markdown_cannot_inject_script(settings):
    settings.MARKDOWN_IMAGE_HOSTS = {"example.com"}
    html = render_markdown(
        "**Bold** <script>alert(1)</script> [x](javascript:alert(1)) "
        '<img src="https://example.com/a.png" onerror="alert(1)">'
    )
    assert "<strong>Bold</strong>" in html
    assert "<script" not in html
    assert "javascript:" not in html
    assert "onerror" not in html
    assert 'src="https://example.com/a.png"' in html


def test_instructions_show_no_images_from_hosts_the_platform_does_not_allow(settings):
    """A remote image would be a tracking pixel: its owner would learn who opened which task."""
    settings.MARKDOWN_IMAGE_HOSTS = {"images.example.org"}
    html = render_markdown(
        "![pixel](https://tracker.example.net/p.gif?worker=1) "
        "![plain](http://images.example.org/a.png) "
        "![ok](https://images.example.org/a.png) "
        "![own](/media/instructions/a.png)"
    )
    assert "tracker.example.net" not in html
    assert "http://images.example.org" not in html
    assert 'src="https://images.example.org/a.png"' in html
    assert 'src="/media/instructions/a.png"' in html
