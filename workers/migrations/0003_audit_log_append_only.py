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
SQLITE_UP = [
    """CREATE TRIGGER workers_audit_log_no_update BEFORE UPDATE ON workers_auditlogentry
       BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: UPDATE refused'); END;""",
    """CREATE TRIGGER workers_audit_log_no_delete BEFORE DELETE ON workers_auditlogentry
       BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: DELETE refused'); END;""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS workers_audit_log_no_update;",
    "DROP TRIGGER IF EXISTS workers_audit_log_no_delete;",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor, [])
        for statement in [statements] if isinstance(statements, str) else statements:
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("workers", "0002_workforce")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRES_UP, "sqlite": SQLITE_UP}),
            _run({"postgresql": POSTGRES_DOWN, "sqlite": SQLITE_DOWN}),
        ),
    ]
