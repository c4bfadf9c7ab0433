from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and roles"

    def ready(self) -> None:
        # Registers the OpenAPI description of the token authentication.
        from accounts import schema  # noqa: F401
