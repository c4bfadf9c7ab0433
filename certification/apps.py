from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CertificationConfig(AppConfig):
    name = "certification"
    verbose_name = _("Pension eligibility certification")

    def ready(self) -> None:
        from certification.services.awards import awards_stop_on_death, pensioners_among
        from insurance.hooks import DEATH_HOOKS, PENSIONER_LOOKUPS

        # A recorded death stops the pension, from the API or an import alike (insurance.hooks).
        if awards_stop_on_death not in DEATH_HOOKS:
            DEATH_HOOKS.append(awards_stop_on_death)
        if pensioners_among not in PENSIONER_LOOKUPS:
            PENSIONER_LOOKUPS.append(pensioners_among)
