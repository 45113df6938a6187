from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail

from accounts.models import User


@shared_task(name="accounts.send_welcome_email", bind=True, max_retries=5)
def send_welcome_email(self, user_id: int) -> None:
    """Safe to run twice: a second welcome email is harmless, a lost one is not."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return
    try:
        send_mail(
            subject=f"Welcome to {settings.SITE_NAME}",
            message=(
                f"Hello {user.full_name or user.email},\n\n"
                f"your {user.get_role_display().lower()} account is ready.\n"
            ),
            from_email=None,
            recipient_list=[user.email],
        )
    except OSError as error:
        raise self.retry(exc=error, countdown=min(60 * 2**self.request.retries, 3600)) from error
