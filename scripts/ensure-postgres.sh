#!/bin/sh
# The tests' PostgreSQL (127.0.0.1:5432, trust auth, database `test`): start the machine's
# cluster if it does not answer. Production and `make run` do not need it (SQLite default).
set -eu
if pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then exit 0; fi
if command -v pg_ctlcluster >/dev/null 2>&1; then
    version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1)
    if [ -n "$version" ]; then
        pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    fi
fi
for i in $(seq 1 20); do
    pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null && exit 0
    sleep 0.5
done
echo "PostgreSQL does not answer on 127.0.0.1:5432; the tests need it (trust auth, database test)" >&2
exit 1
