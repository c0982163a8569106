"""Cache invalidation only: switching the public column on or off (e.g. in the admin) must show at once."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from bulletins.models import PublicationSettings


@receiver(post_save, sender=PublicationSettings)
def publication_settings_saved(sender, instance, **kwargs):
    from bulletins.services import column_bump

    column_bump(instance.campaign_id)
