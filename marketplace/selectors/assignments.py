"""Reads of one assignment as its worker sees it."""

from django.shortcuts import get_object_or_404

from accounts.models import User
from marketplace.models import Assignment


def assignment_get_for_worker(*, worker: User, assignment_id: int) -> Assignment:
    """The worker's own assignment; anybody else's, or none, is a 404 (the same answer, so an
    id tells nothing about another worker's work)."""
    return get_object_or_404(Assignment, pk=assignment_id, worker=worker)
