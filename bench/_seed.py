"""Seeding helpers shared by the benchmarks that fill PostgreSQL with raw SQL (seeding is not
what they measure)."""


def insert_bench_workers(cursor, count: int) -> None:
    """``count`` active workers ``bench1@example.com`` … with unusable passwords, in one
    statement."""
    cursor.execute(
        """INSERT INTO accounts_user (password, is_superuser, email, full_name, role,
               is_staff, is_active, date_joined)
           SELECT '!', false, 'bench' || n || '@example.com', '', 'worker', false, true, now()
           FROM generate_series(1, %s) n""",
        [count],
    )
