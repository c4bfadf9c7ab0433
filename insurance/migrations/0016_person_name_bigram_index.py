"""Agency name search by any part of a name (insurance.models.registry.NameBigrams): the function that
splits a name into its two-character parts, and a GIN index over it. IMMUTABLE, as an index expression
must be: its result depends on its argument alone."""

import django.contrib.postgres.indexes
from django.db import migrations

import insurance.models.registry

NAME_BIGRAMS_FUNCTION = """
CREATE FUNCTION insurance_name_bigrams(name text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT coalesce(array_agg(DISTINCT substr(name, start, 2)), '{}')
    FROM generate_series(1, char_length(name) - 1) AS start
$$
"""


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0005_state_events"),
        ("insurance", "0015_back_office_permissions"),
    ]

    operations = [
        migrations.RunSQL(NAME_BIGRAMS_FUNCTION, "DROP FUNCTION insurance_name_bigrams(text)"),
        migrations.AddIndex(
            model_name="insuredperson",
            index=django.contrib.postgres.indexes.GinIndex(
                insurance.models.registry.NameBigrams("name"), name="person_name_bigrams"
            ),
        ),
    ]
