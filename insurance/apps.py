from django.apps import AppConfig


class InsuranceConfig(AppConfig):
    name = "insurance"
    verbose_name = "Insurance records"

    def ready(self) -> None:
        from core.documents import DOCUMENT_KINDS
        from insurance.certificates import KIND
        from insurance.services.certificates import certificate_facts

        DOCUMENT_KINDS.register(KIND, certificate_facts)
