from django.apps import AppConfig


def warm_up_enrichment(**kwargs) -> None:
    """Load the sentiment and language models in each worker process before its first poll, not during it."""
    from listening.enrichment import EnrichmentConfig, warm_up

    warm_up(EnrichmentConfig.from_settings())


class ListeningConfig(AppConfig):
    name = "listening"
    verbose_name = "Listening"

    def ready(self) -> None:
        from celery.signals import worker_process_init

        # The worker sets Django up (and so runs this) before it forks its processes, and each
        # process sends worker_process_init once it starts.
        worker_process_init.connect(warm_up_enrichment, dispatch_uid="listening.warm_up_enrichment")
        from listening import retention

        retention.register()  # its retention kinds (bankbuzz/audit/retention.py)
        from bankbuzz import metrics
        from listening.metrics import collect

        metrics.register("listening", collect)  # accounts' polling at /metrics
        from bankbuzz import cardmask
        from listening.pan_vault import mask_cards, mask_payload

        # What a card number is, for every field that masks them (bankbuzz/cardmask.py).
        cardmask.register(text=mask_cards, value=mask_payload)
