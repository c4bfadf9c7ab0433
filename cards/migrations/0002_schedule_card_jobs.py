"""Registers the card's periodic jobs with the database beat scheduler: the lapse of temporary losses and
the key rotation every hour (each does nothing until something is due), the photo purge every day."""

from django.db import migrations

from core.beat import schedule_every


class Migration(migrations.Migration):
    dependencies = [
        ("cards", "0001_cards_lifecycle_ecard_uses"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        schedule_every(
            name="cards: lapse temporary losses", task="cards.temporary_losses_lapse", every=1, period="hours"
        ),
        schedule_every(name="cards: rotate e-card keys", task="cards.ecard_keys_rotate", every=1, period="hours"),
        schedule_every(name="cards: purge face photos", task="cards.photos_purge", every=1, period="days"),
    ]
