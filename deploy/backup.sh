#!/usr/bin/env bash
# Back up Kronika: the archive's closed WARC files, its CDXJ indexes and crawl logs, the Kronika
# database and Airflow's metadata database. Run nightly by kronika-backup.timer; safe to run by
# hand at any time, while crawls run.
#
# Settings, from the environment (kronika.env, as every unit reads it):
#   KRONIKA_BACKUP_DIR    where the copies go: a directory (a mounted backup disk); required
#   KRONIKA_ARCHIVE_DIR   the archive directory (an object-store archive is left to the store's
#                         own versioning and replication, and only noted here)
#   KRONIKA_DATABASE_URL  the Kronika database: PostgreSQL (pg_dump) or SQLite (online backup)
#   AIRFLOW__DATABASE__SQL_ALCHEMY_CONN   Airflow's metadata database, when set (same two kinds)
#   KRONIKA_BACKUP_KEEP   how many dumps of each database to keep (default 14)
#   KRONIKA_BACKUP_PG_DUMP_ARGS  more pg_dump arguments for the Kronika database, e.g. --schema=kronika
#                         when it shares a database with others
#
# A closed WARC file never changes, so each is copied once and never overwritten: a file that
# rots on the live disk later cannot spoil its good copy (`kronika verify` finds the rot).
# Files still being written (*.warc.gz.open) are skipped; they are copied once closed.
set -euo pipefail

die() { echo "kronika backup: $*" >&2; exit 1; }

backup_dir=${KRONIKA_BACKUP_DIR:?KRONIKA_BACKUP_DIR must name the backup directory}
archive_dir=${KRONIKA_ARCHIVE_DIR:-data/archive}
database_url=${KRONIKA_DATABASE_URL:-sqlite:///data/kronika.db}
keep=${KRONIKA_BACKUP_KEEP:-14}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
here=$(cd "$(dirname "$0")" && pwd)
python=${KRONIKA_PYTHON:-$here/../.venv/bin/python}

mkdir -p "$backup_dir/archive" "$backup_dir/db"

# --- the archive ---------------------------------------------------------------------------------
case $archive_dir in
  *://*)
    echo "archive: $archive_dir is an object store: back it up with the store's versioning and replication" ;;
  *)
    [ -d "$archive_dir" ] || die "archive directory $archive_dir does not exist"
    # closed WARC files: copied once, never overwritten
    rsync -a -m --ignore-existing --exclude='.replay/' --include='*/' --include='*.warc.gz' --exclude='*' \
      "$archive_dir/" "$backup_dir/archive/"
    # the indexes and logs beside them are rewritten as crawls go on: always the newest
    rsync -a -m --exclude='.replay/' --include='*/' --include='indexes/**' --include='logs/**' --exclude='*' \
      "$archive_dir/" "$backup_dir/archive/"
    echo "archive: $(find "$backup_dir/archive" -name '*.warc.gz' | wc -l) closed WARC files in $backup_dir/archive" ;;
esac

# --- the databases -------------------------------------------------------------------------------
dump() {  # dump NAME URL [PG_DUMP_ARGS...]: one timestamped dump, then only the newest $keep of that name
  local name=$1 url=$2 out
  shift 2
  case $url in
    postgresql*)
      out="$backup_dir/db/$name-$stamp.dump"
      # libpq takes the URL without SQLAlchemy's driver name (+psycopg, +psycopg_async)
      pg_dump --format=custom --no-owner --file="$out.partial" "$@" "$(printf '%s' "$url" | sed -E 's#^postgresql\+[a-z_]+://#postgresql://#')"
      ;;
    sqlite:///*)
      out="$backup_dir/db/$name-$stamp.sqlite"
      # SQLite's online backup: a consistent copy while crawls write
      "$python" - "${url#sqlite:///}" "$out.partial" <<'PY'
import sqlite3, sys
source = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
target = sqlite3.connect(sys.argv[2])
source.backup(target)
target.close()
source.close()
PY
      ;;
    *) die "$name: cannot back up a database at ${url%%://*}:// (PostgreSQL and SQLite only)" ;;
  esac
  mv "$out.partial" "$out"  # a dump is complete or absent, never half there
  echo "$name: $out"
  find "$backup_dir/db" -maxdepth 1 -name "$name-*" ! -name '*.partial' -printf '%f\n' | sort -r \
    | tail -n +"$((keep + 1))" | while read -r old; do rm -f -- "$backup_dir/db/$old"; done
}

# shellcheck disable=SC2086  # the extra arguments are words, split on purpose
dump kronika "$database_url" ${KRONIKA_BACKUP_PG_DUMP_ARGS:-}
if [ -n "${AIRFLOW__DATABASE__SQL_ALCHEMY_CONN:-}" ]; then
  dump airflow "$AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"
fi
