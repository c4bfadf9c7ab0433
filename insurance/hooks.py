"""Hooks through which a change in the registry causes work in the apps above it (STYLE.md, "Layering
between apps"): the registry declares the hook, and each app above registers into it from its
`AppConfig.ready()`. A hook runs inside the transaction of the change, with the whole chunk, so that an
import's thousand deaths cost the app a few set-based statements, and a death from the API does exactly
what a death from an import does."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from core.states import Actor


@dataclass(frozen=True, slots=True)
class DeathRecorded:
    person_id: int
    date_of_death: datetime.date


DeathHook = Callable[[Sequence[DeathRecorded], Actor], None]

# Appended to by the apps above from their AppConfig.ready(); run in that order by `deaths_register`, after
# the people and their relationships moved.
DEATH_HOOKS: list[DeathHook] = []


# Whether people receive a pension: the registry knows the retired, and certification (the app that holds
# pension awards) registers a look-up of its awards. Each returns the ids of `person_ids` that do; a
# transfer is refused for them.
PensionerLookup = Callable[[Sequence[int]], set[int]]
PENSIONER_LOOKUPS: list[PensionerLookup] = []
