from django import template

register = template.Library()


@register.filter
def cents(amount) -> str:
    """1234 → "$12.34". Integer arithmetic only: money never passes through a float."""
    if amount is None or amount == "":
        return ""
    amount = int(amount)
    sign = "-" if amount < 0 else ""
    dollars, rest = divmod(abs(amount), 100)
    return f"{sign}${dollars:,}.{rest:02d}"
