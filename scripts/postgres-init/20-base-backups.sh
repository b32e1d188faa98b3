#!/bin/sh
# Run once by the postgres image when it creates the database: let the `backup` service take base
# backups (pg_basebackup uses a replication connection) with the password, over the compose network.
set -eu
echo "host replication ${POSTGRES_USER} all scram-sha-256" >> "$PGDATA/pg_hba.conf"
