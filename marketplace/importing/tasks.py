from celery import shared_task

from marketplace.services.imports import import_run


@shared_task(
    name="marketplace.run_import",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=3,
    default_retry_delay=30,
)
def run_import(batch_id: int) -> None:
    """Safe to run twice: ``import_run`` only touches a batch that is still pending, and the
    import itself is one transaction (a killed worker leaves no tasks behind)."""
    import_run(batch_id=batch_id)
