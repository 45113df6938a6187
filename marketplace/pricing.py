"""Cost estimates shown to requesters. Integer cents; rounding always up, so an estimate never
promises less than the job may cost."""

from dataclasses import dataclass

from django.conf import settings


def _ceil_div(numerator: int, denominator: int) -> int:
    return -(-numerator // denominator)


@dataclass(frozen=True)
class CostEstimate:
    regular_assignments: int
    gold_assignments: int
    reward_cents: int
    fee_cents: int

    @property
    def assignments(self) -> int:
        return self.regular_assignments + self.gold_assignments

    @property
    def total_cents(self) -> int:
        return self.reward_cents + self.fee_cents


def estimate_cost(
    *, tasks: int, overlap_max: int, reward_cents: int, gold_ratio: float
) -> CostEstimate:
    """Workers are paid for gold assignments too (they cannot tell them apart). With a gold share
    g of served assignments, R regular assignments come with R*g/(1-g) gold ones."""
    regular = tasks * overlap_max
    gold_parts = round(gold_ratio * 1000)  # the ratio as an exact fraction of 1000
    gold = _ceil_div(regular * gold_parts, 1000 - gold_parts) if 0 < gold_parts < 1000 else 0
    rewards = (regular + gold) * reward_cents
    fee = _ceil_div(rewards * settings.PLATFORM_FEE_BASIS_POINTS, 10_000)
    return CostEstimate(
        regular_assignments=regular, gold_assignments=gold, reward_cents=rewards, fee_cents=fee
    )
