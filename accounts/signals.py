"""Signals accounts sends so that higher layers can act without accounts importing them."""

from django.dispatch import Signal

# Sent inside the transaction of ``user_assign_role`` once the user has their role, with
# ``user``, ``role`` and ``display_name``. The workers app creates the worker profile on it, so a
# failing receiver rolls the sign-up back rather than leaving a worker without a profile.
role_assigned = Signal()
