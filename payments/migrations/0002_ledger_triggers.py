"""The database keeps the ledger honest, whoever writes to it (the ORM or raw SQL):

- ``ledger_transaction_balanced``: a DEFERRABLE INITIALLY DEFERRED constraint trigger runs at
  commit for every transaction that gained entries (or was created) and refuses it unless its
  entries number at least two and add up to zero.
- ``ledger_entry_apply``: each inserted entry adds its amount to its account's cached balance, in
  the same statement; the account's CHECK then refuses an overdraft.
- ``ledger_*_immutable``: entries and transactions cannot be updated or deleted (a mistake is
  corrected by a reversing transaction).
"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION payments_ledger_check_balanced() RETURNS trigger AS $$
DECLARE
    target_id bigint;
    legs integer;
    total numeric;
BEGIN
    IF TG_TABLE_NAME = 'payments_ledgerentry' THEN
        target_id := NEW.transaction_id;
    ELSE
        target_id := NEW.id;
    END IF;
    SELECT count(*), coalesce(sum(amount_cents), 0) INTO legs, total
        FROM payments_ledgerentry WHERE payments_ledgerentry.transaction_id = target_id;
    IF legs < 2 OR total <> 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation', MESSAGE = 'Ledger transaction '
            || target_id || ' is unbalanced: ' || legs || ' entries summing to ' || total
            || ' cents';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER ledger_entry_balanced
    AFTER INSERT ON payments_ledgerentry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION payments_ledger_check_balanced();

CREATE CONSTRAINT TRIGGER ledger_transaction_balanced
    AFTER INSERT ON payments_ledgertransaction
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION payments_ledger_check_balanced();

CREATE FUNCTION payments_ledger_apply_entry() RETURNS trigger AS $$
BEGIN
    UPDATE payments_ledgeraccount SET balance_cents = balance_cents + NEW.amount_cents
        WHERE id = NEW.account_id;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER ledger_entry_apply
    AFTER INSERT ON payments_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION payments_ledger_apply_entry();

CREATE FUNCTION payments_ledger_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'restrict_violation', MESSAGE = 'Ledger rows are immutable ('
        || TG_OP || ' on ' || TG_TABLE_NAME || '): post a reversing transaction instead';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER ledger_entry_immutable
    BEFORE UPDATE OR DELETE ON payments_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION payments_ledger_refuse_change();

CREATE TRIGGER ledger_transaction_immutable
    BEFORE UPDATE OR DELETE ON payments_ledgertransaction
    FOR EACH ROW EXECUTE FUNCTION payments_ledger_refuse_change();
"""

BACKWARD = """
DROP TRIGGER ledger_transaction_immutable ON payments_ledgertransaction;
DROP TRIGGER ledger_entry_immutable ON payments_ledgerentry;
DROP FUNCTION payments_ledger_refuse_change();
DROP TRIGGER ledger_entry_apply ON payments_ledgerentry;
DROP FUNCTION payments_ledger_apply_entry();
DROP TRIGGER ledger_transaction_balanced ON payments_ledgertransaction;
DROP TRIGGER ledger_entry_balanced ON payments_ledgerentry;
DROP FUNCTION payments_ledger_check_balanced();
"""



class Migration(migrations.Migration):
    dependencies = [("payments", "0001_initial")]

    operations = [
        # One statement each (a list: RunSQL would otherwise split the functions' bodies).
        migrations.RunSQL([FORWARD], [BACKWARD]),
    ]
