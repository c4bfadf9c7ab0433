"""Signals of the shared kernel that other apps subscribe to."""

from django.dispatch import Signal

# Sent after the commit that enters (or corrects) a year's official holiday schedule, with `year` (int).
# Deadlines computed before that are stale if they counted a day of that year: every app that stores a
# `core.workdays.Deadline` connects a receiver that recomputes its provisional deadlines (and, for a
# correction, those whose count crossed `year`), queueing a Celery task if the work is large. Receivers
# run one after another in the committing process; one that raises is logged and does not stop the others.
calendar_year_entered = Signal()
