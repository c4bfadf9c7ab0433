"""Pure domain calculations (DOMAIN.md §2, §6): no database, no models, only values in and values out.

Services load the facts and call these; each result carries the steps that explain it to the citizen.
"""
