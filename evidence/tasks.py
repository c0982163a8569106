"""Celery tasks of the evidence app: thin wrappers around services."""

from celery import shared_task
from django.db import OperationalError


@shared_task(bind=True, max_retries=3, default_retry_delay=30)
def link_check_task(self, link_id: int) -> str:
    """Check one web link through the configured proxy and store the result."""
    from django.conf import settings

    from evidence.models import EvidenceLink
    from evidence.services import link_check_record

    link = EvidenceLink.objects.filter(pk=link_id).first()
    if link is None or not settings.LINK_CHECK_ENABLED:
        return "skipped"
    try:
        link = link_check_record(link=link, proxy=settings.LINK_CHECK_PROXY, timeout=settings.LINK_CHECK_TIMEOUT)
    except OperationalError as exc:
        raise self.retry(exc=exc) from exc
    return link.check_status


@shared_task
def link_check_all_task() -> int:
    """Nightly: queue a check of every link of a submission that is not withdrawn."""
    from evidence.models import Evidence, EvidenceLink

    ids = list(EvidenceLink.objects.exclude(evidence__status=Evidence.Status.WITHDRAWN).values_list("id", flat=True))
    for link_id in ids:
        link_check_task.delay(link_id)
    return len(ids)
