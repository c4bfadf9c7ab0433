"""Django admin for the insurance records; each module registers its models."""

from insurance.admin import contributions, records, registry

__all__ = ["contributions", "records", "registry"]
