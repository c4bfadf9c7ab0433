from django.db import migrations

# The personal-account ledger is money: corrections are new entries, never edits. The database refuses
# UPDATE and DELETE so that no code path, admin action or shell session can rewrite history.
APPEND_ONLY = """
CREATE FUNCTION insurance_accountentry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'insurance_accountentry is append-only: % refused', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER insurance_accountentry_append_only
    BEFORE UPDATE OR DELETE ON insurance_accountentry
    FOR EACH ROW EXECUTE FUNCTION insurance_accountentry_append_only();
"""

REMOVE = """
DROP TRIGGER insurance_accountentry_append_only ON insurance_accountentry;
DROP FUNCTION insurance_accountentry_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("insurance", "0001_initial")]

    operations = [migrations.RunSQL(APPEND_ONLY, REMOVE)]
