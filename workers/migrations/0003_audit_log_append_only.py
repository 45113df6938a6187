"""The audit log refuses UPDATE and DELETE at the database, whoever connects."""

from django.db import migrations

POSTGRES_UP = """
CREATE OR REPLACE FUNCTION workers_audit_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER workers_audit_log_append_only
    BEFORE UPDATE OR DELETE ON workers_auditlogentry
    FOR EACH ROW EXECUTE FUNCTION workers_audit_log_append_only();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS workers_audit_log_append_only ON workers_auditlogentry;
DROP FUNCTION IF EXISTS workers_audit_log_append_only();
"""

class Migration(migrations.Migration):
    dependencies = [("workers", "0002_workforce")]

    operations = [
        migrations.RunSQL([POSTGRES_UP], [POSTGRES_DOWN]),
    ]
