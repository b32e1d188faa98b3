from celery import shared_task

from complaints.services import complaints_check_clocks


@shared_task(name="complaints.check_clocks", acks_late=False, ignore_result=True)
def check_clocks() -> dict:
    """Every minute (beat): due-soon and breach notices. Idempotent: each notice is sent once."""
    return complaints_check_clocks()
