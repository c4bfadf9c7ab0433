"""Django admin for the insurance records; each module registers its models."""

from insurance.admin import contributions, inbox, records, registry, transfers

__all__ = ["contributions", "inbox", "records", "registry", "transfers"]
