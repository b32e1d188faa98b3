from celery import shared_task

from complaints.services import complaints_check_clocks, letters_settle


@shared_task(name="complaints.check_clocks", acks_late=False, ignore_result=True)
def check_clocks() -> dict:
    """Every minute (beat): private letters sent since count, then due-soon and breach notices.
    Idempotent: a letter counts once and each notice is sent once."""
    settled = letters_settle()
    return {**complaints_check_clocks(), "letters": settled}
