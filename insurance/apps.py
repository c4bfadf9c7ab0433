from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsuranceConfig(AppConfig):
    name = "insurance"
    verbose_name = _("Insurance records")

    def ready(self) -> None:
        from core.documents import DOCUMENT_KINDS
        from insurance.certificates import KIND
        from insurance.services.certificates import certificate_facts

        DOCUMENT_KINDS.register(KIND, certificate_facts)
        from insurance.services.transfer_documents import transfer_document_facts
        from insurance.transfer_documents import DOCUMENT_KIND_NAMES

        for kind in DOCUMENT_KIND_NAMES.values():
            DOCUMENT_KINDS.register(kind, transfer_document_facts)
        from core.signals import calendar_year_entered

        calendar_year_entered.connect(_transfer_deadlines_recompute, dispatch_uid="insurance.transfers")


def _transfer_deadlines_recompute(sender: object, *, year: int, **kwargs: object) -> None:
    """A year's schedule entered: the transfers' deadlines that counted its days are counted again."""
    from insurance.services.transfers import transfers_deadlines_recompute

    transfers_deadlines_recompute(year=year)
