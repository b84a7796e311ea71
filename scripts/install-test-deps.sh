#!/usr/bin/env bash
# Installs the programs the test peers in test/services/ run, on a fresh
# Debian 12 machine, as root. Idempotent: apt runs only when something is
# missing. Tests start their own servers on free ports, so any daemon the
# Debian packages start at install time is stopped again.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
PG_BIN=/usr/lib/postgresql/15/bin

if [ "$(id -u)" -ne 0 ]; then
  echo "install-test-deps: run as root" >&2
  exit 1
fi

missing=()
for tool in prometheus promtool prometheus-pushgateway age; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
packages=()
if [ "${#missing[@]}" -gt 0 ]; then
  packages+=(prometheus prometheus-pushgateway age)
fi
if [ ! -x "$PG_BIN/initdb" ] || ! command -v pg_dump >/dev/null 2>&1; then
  packages+=(postgresql-15 postgresql-client-15)
fi
for tool in openssl unshare zstd aws; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    case "$tool" in
      openssl) packages+=(openssl) ;;
      unshare) packages+=(util-linux) ;;
      # The independent readers of archives: zstd -d, and the AWS CLI that
      # reads back what the backup put in the test's S3 server (s3rver, npm).
      zstd) packages+=(zstd) ;;
      aws) packages+=(awscli) ;;
    esac
  fi
done

if [ "${#packages[@]}" -gt 0 ]; then
  echo "install-test-deps: installing ${packages[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi

# The packages' maintainer scripts start prometheus (:9090), the pushgateway
# (:9091) and, for postgresql-15, a 15/main cluster (:5432). Stop the
# Prometheus ones; systemd or sysvinit, whichever is there.
for svc in prometheus prometheus-pushgateway prometheus-node-exporter; do
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    systemctl stop "$svc" >/dev/null 2>&1 || true
    systemctl disable "$svc" >/dev/null 2>&1 || true
  elif [ -x "/etc/init.d/$svc" ]; then
    "/etc/init.d/$svc" stop >/dev/null 2>&1 || true
  fi
done

# initdb and the server refuse to run as root: the tests run them as postgres.
if ! id postgres >/dev/null 2>&1; then
  useradd --system --user-group --home-dir /var/lib/postgresql \
    --shell /bin/bash postgres
fi

status=0
version() {
  local name=$1
  shift
  local line
  local out
  # The whole output first: grep -m1 on a pipe would end the command with
  # SIGPIPE when it writes more (kubectl does), which pipefail reports.
  if command -v "$1" >/dev/null 2>&1 && out=$("$@" 2>&1) &&
    line=$(grep -m1 -iE 'version|[0-9]+\.[0-9]+' <<<"$out"); then
    printf '%-24s %s\n' "$name" "$line"
  else
    printf '%-24s MISSING\n' "$name"
    status=1
  fi
}
version prometheus prometheus --version
version promtool promtool --version
version prometheus-pushgateway prometheus-pushgateway --version
version age age --version
version pg_dump pg_dump --version
version initdb "$PG_BIN/initdb" --version
version kubectl kubectl version --client
version openssl openssl version
version unshare unshare --version
version zstd zstd --version
version aws aws --version
printf '%-24s %s\n' "postgres user" "$(id postgres)"
if ! command -v kubectl >/dev/null 2>&1; then
  echo "install-test-deps: kubectl is not in Debian 12: install it from" \
    "https://dl.k8s.io (or the Kubernetes apt repository)" >&2
fi
exit "$status"
