from celery import shared_task
from django.conf import settings

from customers.importing.services import import_job_run


# acks_late: a worker that dies mid-import leaves the message to be redelivered, and the
# service decides whether the job may run again (the import is one transaction, so a killed
# run wrote nothing).
@shared_task(
    acks_late=True,
    time_limit=settings.CELERY_TASK_TIME_LIMIT,
    soft_time_limit=settings.CELERY_TASK_SOFT_TIME_LIMIT,
)
def import_job_run_task(job_id: int) -> None:
    import_job_run(job_id=job_id)
