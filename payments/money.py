"""The only money arithmetic in Quorum: integer cents, explicit rounding, and allocations whose
parts add back to their total.

Fees are charged on a project's *cumulative* rewards, never rounded per assignment: with a 20 %
fee and a 3-cent reward, the first approval carries a 1-cent fee, the next two none, and after N
approvals the platform has taken exactly ``ceil(N x reward x fee)``, the figure the cost estimate
showed. Reservations use the same cumulative figures, so escrow never drifts by a rounding cent.
"""

from django.conf import settings

BASIS_POINTS = 10_000
GOLD_RATIO_PARTS = 1000  # a gold ratio is taken as an exact fraction of 1000


def ceil_div(numerator: int, denominator: int) -> int:
    """Integer division rounded up (towards +infinity); ``denominator`` > 0."""
    if denominator <= 0:
        raise ValueError("Cannot divide by a non-positive denominator.")
    return -(-numerator // denominator)


def fee_rate_basis_points() -> int:
    return settings.PLATFORM_FEE_BASIS_POINTS


def fee_cents(reward_cents: int, basis_points: int | None = None) -> int:
    """The platform fee on ``reward_cents`` of rewards, rounded up to a whole cent."""
    if reward_cents < 0:
        raise ValueError("A fee is charged on a non-negative amount.")
    rate = fee_rate_basis_points() if basis_points is None else basis_points
    return ceil_div(reward_cents * rate, BASIS_POINTS)


def gold_assignments_for(regular_assignments: int, gold_ratio: float) -> int:
    """Workers are paid for gold assignments too (they cannot tell them apart). With a gold share
    g of served assignments, R regular assignments come with ceil(R·g/(1-g)) gold ones."""
    parts = round(gold_ratio * GOLD_RATIO_PARTS)
    if not 0 < parts < GOLD_RATIO_PARTS:
        return 0
    return ceil_div(regular_assignments * parts, GOLD_RATIO_PARTS - parts)


def paid_assignments_for(regular_assignments: int, gold_ratio: float) -> int:
    """All assignments (regular and gold) that ``regular_assignments`` slots may end up paying."""
    return regular_assignments + gold_assignments_for(regular_assignments, gold_ratio)


def cost_cents(*, assignments: int, reward_cents: int, basis_points: int | None = None) -> int:
    """What ``assignments`` paid assignments cost in total: rewards plus the fee on them."""
    if assignments < 0:
        raise ValueError("Cannot price a negative number of assignments.")
    rewards = assignments * reward_cents
    return rewards + fee_cents(rewards, basis_points)


def nth_assignment_fee_cents(*, n: int, reward_cents: int, basis_points: int | None = None) -> int:
    """The fee carried by a project's ``n``-th paid assignment (1-based): the step in the
    cumulative fee, so the first N fees add up to ``fee_cents(N x reward)`` exactly."""
    if n < 1:
        raise ValueError("Assignments are counted from 1.")
    return fee_cents(n * reward_cents, basis_points) - fee_cents(
        (n - 1) * reward_cents, basis_points
    )


def allocate(total_cents: int, weights: list[int]) -> list[int]:
    """Split ``total_cents`` in proportion to ``weights``; the parts add back to the total
    (largest remainders get the leftover cents, earlier parts first on ties)."""
    if not weights or any(weight < 0 for weight in weights) or sum(weights) == 0:
        raise ValueError("Weights must be non-negative and not all zero.")
    whole = sum(weights)
    parts = [total_cents * weight // whole for weight in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (-(total_cents * weights[i] % whole), i))
    for index in remainders[: total_cents - sum(parts)]:
        parts[index] += 1
    return parts


def format_cents(cents: int) -> str:
    """``123456`` → ``$1,234.56`` (negative amounts keep their sign in front)."""
    sign = "-" if cents < 0 else ""
    dollars, rest = divmod(abs(cents), 100)
    return f"{sign}${dollars:,}.{rest:02d}"


def parse_dollars(text: str) -> int:
    """``"12.5"`` or ``"$1,012.50"`` → cents. Refuses fractions of a cent and negative amounts."""
    cleaned = text.strip().replace("$", "").replace(",", "")
    if not cleaned or cleaned.count(".") > 1 or not cleaned.replace(".", "").isdigit():
        raise ValueError("Enter an amount in dollars, such as 25 or 25.50.")
    dollars, _, cents = cleaned.partition(".")
    if len(cents) > 2:
        raise ValueError("Amounts are in whole cents.")
    return int(dollars or "0") * 100 + int(cents.ljust(2, "0") or "0")
