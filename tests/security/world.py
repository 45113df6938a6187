"""The world the security sweeps run in: organisation A with one object of each kind, a worker
of A's who owns an assignment, an attempt and a payout, and the people who must not reach them
(organisation B's requester, another worker), plus staff. Built once per module."""

from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Role
from accounts.services import user_create
from marketplace.models import Assignment, QualityAction
from marketplace.services.claim import assignment_claim
from marketplace.services.imports import import_start
from marketplace.services.submit import assignment_submit
from payments.models import Payout
from tests.marketplace.factories import ProjectFactory, TaskFactory
from tests.workers.factories import make_test
from workers.models import RequirementKind
from workers.services.qualification_attempts import attempt_start
from workers.services.requirements import requirement_create

PASSWORD = "correct-horse-battery-staple"


@dataclass
class World:
    requester_a: object
    requester_b: object
    worker_a: object
    other_worker: object
    staff: object
    project: object
    assignment: object
    batch: object
    qualification: object
    attempt: object
    requirement: object
    quality_action: object
    payout: object


def build_world() -> World:
    def user(role, email, organisation="Org"):
        return user_create(
            email=email,
            password=PASSWORD,
            role=role,
            organisation_name=organisation,
        )

    requester_a = user(Role.REQUESTER, "sweep-a@a.example.com", "Org A")
    requester_b = user(Role.REQUESTER, "sweep-b@b.example.com", "Org B")
    worker_a = user(Role.WORKER, "sweep-worker-a@example.com")
    other_worker = user(Role.WORKER, "sweep-other-worker@example.com")
    staff = user(Role.STAFF, "sweep-staff@example.com")

    project = ProjectFactory(account=requester_a.requester_account)
    # Claimed and submitted through the services, so the task's counters agree with it (a
    # review of it is then a real one).
    TaskFactory(project=project)
    claimed = assignment_claim(worker=worker_a, project=project)
    assignment_submit(worker=worker_a, assignment_id=claimed.assignment_id, answer="cat")
    assignment = Assignment.objects.get(pk=claimed.assignment_id)
    batch = import_start(
        project=project,
        uploaded_by=requester_a,
        upload=SimpleUploadedFile("t.csv", b"text,gold_answer\nx,\ny,zebra\n"),
        mode="skip_bad_rows",
    )
    qualification = make_test(requester_a)
    requirement = requirement_create(
        project=project,
        kind=RequirementKind.QUALIFICATION_AT_LEAST,
        qualification=qualification,
        value=50,
    )
    attempt = attempt_start(worker=worker_a, qualification=qualification)
    quality_action = QualityAction.objects.create(
        project=project, worker=worker_a, rule="fast_answers", action="flag", reason="Too fast."
    )
    payout = Payout.objects.create(worker=worker_a, amount_cents=100)
    return World(
        requester_a=requester_a,
        requester_b=requester_b,
        worker_a=worker_a,
        other_worker=other_worker,
        staff=staff,
        project=project,
        assignment=assignment,
        batch=batch,
        qualification=qualification,
        attempt=attempt,
        requirement=requirement,
        quality_action=quality_action,
        payout=payout,
    )


# Each URL keyword that names an object, and the object of organisation A (or of A's worker)
# that the sweep puts there. A new kind of id gets a line here.
ID_BUILDERS = {
    "project_id": lambda world: world.project.pk,
    "assignment_id": lambda world: world.assignment.pk,
    "batch_id": lambda world: world.batch.pk,
    "worker_id": lambda world: world.worker_a.pk,
    "qualification_id": lambda world: world.qualification.pk,
    "attempt_id": lambda world: world.attempt.pk,
    "requirement_id": lambda world: world.requirement.pk,
    "quality_action_id": lambda world: world.quality_action.pk,
    "payout_id": lambda world: world.payout.pk,
}
