#!/usr/bin/env bash
# A throwaway Postgres 15 on 127.0.0.1 for the cluster tests and bench: a temp data directory,
# trust auth, owned by the `postgres` user. Never touches the machine's own clusters.
#   postgres.sh start [port]   prints the URL to export as AIXFX_CLUSTER_PG_URL
#   postgres.sh restart        stops and starts that server again (the tests' "Postgres restarted mid-run")
#   postgres.sh stop           stops the server this script started (by its data directory) and deletes it
# Installs Debian's postgresql first when /usr/lib/postgresql/15/bin is missing and we are root.
set -euo pipefail
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
STATE=${AIXFX_PG_STATE:-/tmp/aixfx-cluster-pg.state}

as_postgres() {
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi
}

case "${1:-}" in
  start)
    port=${2:-55716}
    if [ ! -x "$PGBIN/initdb" ]; then
      if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "Postgres 15 not found at $PGBIN: installing Debian's postgresql" >&2
        apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2
      else
        echo "Postgres 15 not found at $PGBIN (apt-get install postgresql, or set PGBIN)" >&2; exit 1
      fi
    fi
    dir=$(mktemp -d /tmp/aixfx-pg.XXXXXX)
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
    echo "$dir" > "$STATE"
    as_postgres "$PGBIN/initdb -D $dir/data -U postgres --auth=trust -E UTF8 --no-locale" >/dev/null
    as_postgres "$PGBIN/pg_ctl -D $dir/data -l $dir/pg.log -o '-h 127.0.0.1 -p $port -k $dir -c max_connections=300' -w start" >/dev/null
    echo "postgres://postgres@127.0.0.1:$port/postgres"
    ;;
  restart)
    # Stops the server (fast: every connection is cut) and starts it again with the same options.
    dir=$(cat "$STATE")
    as_postgres "$PGBIN/pg_ctl -D $dir/data -m fast -w restart" >/dev/null
    ;;
  stop)
    [ -f "$STATE" ] || exit 0
    dir=$(cat "$STATE")
    if [ -d "$dir/data" ]; then as_postgres "$PGBIN/pg_ctl -D $dir/data -m fast -w stop" >/dev/null || true; fi
    rm -rf "$dir" "$STATE"
    ;;
  *) echo "usage: $0 start [port] | restart | stop" >&2; exit 2 ;;
esac
