#!/bin/sh
# The compose stack's `backup` service (docs/operations.md, "Backups and point-in-time recovery").
# Every BACKUP_EVERY seconds: a logical dump (pg_dump -Fc, for restoring one database or reading
# one table) and a base backup (pg_basebackup, the starting point of point-in-time recovery with
# the WAL archive PostgreSQL writes to WAL_ARCHIVE). Keeps BACKUP_KEEP_DAYS days of both, and the
# archived WAL the oldest kept base backup needs. Connection from the usual PG* variables.
# BACKUP_ONCE=1 takes one backup and exits (by hand: `docker compose run --rm -e BACKUP_ONCE=1 backup`).
set -eu
BACKUP_DIR=${BACKUP_DIR:-/backups}
WAL_ARCHIVE=${WAL_ARCHIVE:-/wal-archive}
BACKUP_EVERY=${BACKUP_EVERY:-86400}
BACKUP_KEEP_DAYS=${BACKUP_KEEP_DAYS:-14}

log() { echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) backup: $*"; }

take() {
  stamp=$(date -u +%Y%m%dT%H%M%SZ)
  # Written under a temporary name and renamed when complete: a file named *.dump is whole.
  pg_dump --format=custom --file "$BACKUP_DIR/dump-$stamp.dump.partial" || return 1
  mv "$BACKUP_DIR/dump-$stamp.dump.partial" "$BACKUP_DIR/dump-$stamp.dump" || return 1
  log "dump-$stamp.dump $(du -h "$BACKUP_DIR/dump-$stamp.dump" | cut -f1)"
  pg_basebackup --pgdata "$BACKUP_DIR/base-$stamp.partial" --format=tar --gzip --wal-method=fetch \
    --checkpoint=fast --label "bankbuzz-$stamp" || return 1
  mv "$BACKUP_DIR/base-$stamp.partial" "$BACKUP_DIR/base-$stamp" || return 1
  log "base-$stamp $(du -sh "$BACKUP_DIR/base-$stamp" | cut -f1)"
}

prune() {
  find "$BACKUP_DIR" -maxdepth 1 -name 'dump-*.dump' -mtime +"$BACKUP_KEEP_DAYS" -print -delete
  find "$BACKUP_DIR" -maxdepth 1 -name 'base-*' -type d -mtime +"$BACKUP_KEEP_DAYS" -print -exec rm -rf {} +
  find "$BACKUP_DIR" -maxdepth 1 -name '*.partial' -mmin +1440 -print -exec rm -rf {} +
  # Archived WAL older than the oldest kept base backup can no longer be replayed onto anything.
  oldest=$(find "$BACKUP_DIR" -maxdepth 1 -name 'base-*' -type d ! -name '*.partial' | sort | head -n 1)
  if [ -n "$oldest" ] && [ -d "$WAL_ARCHIVE" ]; then
    first_wal=$(tar -xzOf "$oldest/base.tar.gz" backup_label | sed -n 's/^START WAL LOCATION: .* (file \(.*\))$/\1/p')
    if [ -n "$first_wal" ]; then pg_archivecleanup "$WAL_ARCHIVE" "$first_wal"; fi
  fi
}

mkdir -p "$BACKUP_DIR"
until pg_isready --quiet; do sleep 2; done
while :; do
  if take; then
    prune
  else
    log "FAILED: see the lines above; the next try is in $BACKUP_EVERY s"
    [ "${BACKUP_ONCE:-0}" = 1 ] && exit 1
  fi
  [ "${BACKUP_ONCE:-0}" = 1 ] && exit 0
  sleep "$BACKUP_EVERY"
done
