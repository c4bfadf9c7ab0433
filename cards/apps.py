from django.apps import AppConfig


class CardsConfig(AppConfig):
    name = "cards"
    verbose_name = "Social security cards"

    def ready(self) -> None:
        from cards.services.cards import cards_cancel_on_death
        from insurance.hooks import DEATH_HOOKS

        # A recorded death cancels the card, from the API or an import alike (insurance.hooks).
        if cards_cancel_on_death not in DEATH_HOOKS:
            DEATH_HOOKS.append(cards_cancel_on_death)
