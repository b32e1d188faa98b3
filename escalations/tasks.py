from celery import shared_task

from escalations.services import escalations_check_slas


@shared_task(name="escalations.check_slas", acks_late=False, ignore_result=True)
def check_slas() -> dict:
    """Every minute (beat): warn at 75% and at breach. Idempotent: each notice is sent once."""
    return escalations_check_slas()
