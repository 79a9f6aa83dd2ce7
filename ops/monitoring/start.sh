#!/usr/bin/env bash
# Local monitoring stack for the demo, one command (`npm run demo:monitoring`):
# Debian's Prometheus and Alertmanager on loopback ports, scraping the running demo with the vivr alert
# rules and the SLO rules loaded, data in a temporary directory. Ctrl-C stops both.
#
# Environment:
#   DEMO_URL           what to scrape (default http://127.0.0.1:3000/api/metrics); a fleet: several URLs with
#                      the same scheme and path, comma-separated (e.g. two storefronts behind HAProxy,
#                      `npm run demo -- --instances 2` prints the list). The first is a static target, the
#                      others go to file-based service discovery: <dir>/targets/demo.json. Any other
#                      <dir>/targets/*.json ([{ "targets": ["host:port"], "labels": {…} }]) is picked up
#                      within 5 s, without a restart.
#   PROMETHEUS_PORT    preferred port (default 9090; a free one is chosen when it is taken)
#   ALERTMANAGER_PORT  preferred port (default 9093; likewise)
#   SLACK_WEBHOOK_URL, PAGERDUTY_ROUTING_KEY
#                      written to the secret files alertmanager.yml reads; without them notifications
#                      fail (and are logged) while the Alertmanager UI still shows every alert
#   VIVR_MONITORING_DIR
#                      where to put configs and data (default: a new temporary directory, removed on exit;
#                      a directory you name is kept)
#
# `start.sh --check` renders and validates the configuration (promtool, amtool), prints where, and exits.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ops=$(dirname "$here")
check_only=false
case "${1:-}" in
  --check) check_only=true ;;
  '') ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

missing() {
  echo "demo:monitoring: '$1' not found. Install: apt-get install -y prometheus prometheus-alertmanager" >&2
  exit 1
}
for tool in prometheus promtool amtool node; do
  command -v "$tool" >/dev/null 2>&1 || missing "$tool"
done
# Debian names the server prometheus-alertmanager; upstream tarballs call it alertmanager.
alertmanager_bin=$(command -v prometheus-alertmanager || command -v alertmanager) || missing alertmanager

# The preferred port when nothing listens on it, else one the kernel hands out.
pick_port() {
  node -e '
    const net = require("node:net")
    const listen = (port) => new Promise((resolve, reject) => {
      const server = net.createServer().once("error", reject)
      server.listen(port, "127.0.0.1", () => { const { port } = server.address(); server.close(() => resolve(port)) })
    })
    listen(Number(process.argv[1])).catch(() => listen(0)).then((port) => console.log(port))
  ' "$1"
}

demo_url=${DEMO_URL:-http://127.0.0.1:3000/api/metrics}
read -r demo_scheme demo_host demo_path demo_more < <(node -e '
  try {
    const urls = process.argv[1].split(",").map((url) => new URL(url.trim()))
    for (const u of urls) {
      if (!/^https?:$/.test(u.protocol) || !u.host) throw new Error("not an http(s) URL")
      if (u.protocol !== urls[0].protocol || u.pathname !== urls[0].pathname)
        throw new Error("every URL of a fleet needs the same scheme and path")
    }
    const [first, ...more] = urls
    const targets = more.length ? [{ targets: more.map((u) => u.host), labels: { environment: "local" } }] : []
    console.log(first.protocol.slice(0, -1), first.host, first.pathname, JSON.stringify(targets))
  } catch (error) { console.error(`DEMO_URL: ${error.message}`); process.exit(1) }
' "$demo_url") || { echo "demo:monitoring: DEMO_URL must be http(s) URLs (comma-separated), got '$demo_url'" >&2; exit 2; }

prometheus_port=$(pick_port "${PROMETHEUS_PORT:-9090}")
alertmanager_port=$(pick_port "${ALERTMANAGER_PORT:-9093}")
while [ "$alertmanager_port" = "$prometheus_port" ]; do alertmanager_port=$(pick_port 0); done

if [ -n "${VIVR_MONITORING_DIR:-}" ]; then
  dir=$VIVR_MONITORING_DIR
  mkdir -p "$dir"
  remove_dir=false
else
  dir=$(mktemp -d "${TMPDIR:-/tmp}/vivr-monitoring.XXXXXX")
  remove_dir=true
fi
dir=$(cd "$dir" && pwd)
mkdir -p "$dir/secrets" "$dir/prometheus-data" "$dir/alertmanager-data" "$dir/targets"
# The fleet beyond the first URL, for file-based service discovery (rewritten on each start).
printf '%s\n' "$demo_more" >"$dir/targets/demo.json"

# Secrets: from the environment into the files alertmanager.yml reads (never into the config itself).
# The fallback webhook points at a closed loopback port: a failed notification, logged, not a request to Slack.
umask 077
printf '%s' "${SLACK_WEBHOOK_URL:-http://127.0.0.1:9/slack-webhook-not-configured}" >"$dir/secrets/slack-webhook-url"
printf '%s' "${PAGERDUTY_ROUTING_KEY:-pagerduty-routing-key-not-configured}" >"$dir/secrets/pagerduty-routing-key"
umask 022

sed -e "s|@RULES_FILE@|$ops/prometheus/rules.yml|" \
    -e "s|@SLO_RULES@|$ops/slo/generated/rules/*.yml|" \
    -e "s|@ALERTMANAGER_PORT@|$alertmanager_port|" \
    -e "s|@DEMO_SCHEME@|$demo_scheme|" \
    -e "s|@DEMO_HOST@|$demo_host|" \
    -e "s|@DEMO_METRICS_PATH@|$demo_path|" \
    -e "s|@TARGETS_DIR@|$dir/targets|" \
    "$here/prometheus.yml.tmpl" >"$dir/prometheus.yml"

# The production Alertmanager config, with the secret files and templates moved to this directory.
cp -R "$ops/alertmanager/templates" "$dir/"
sed -e "s|/etc/alertmanager/secrets/|$dir/secrets/|g" "$ops/alertmanager/alertmanager.yml" >"$dir/alertmanager.yml"

promtool check config "$dir/prometheus.yml" >"$dir/promtool-check.log" 2>&1 || {
  cat "$dir/promtool-check.log" >&2
  exit 1
}
amtool check-config "$dir/alertmanager.yml" >"$dir/amtool-check.log" 2>&1 || {
  cat "$dir/amtool-check.log" >&2
  exit 1
}

if $check_only; then
  if $remove_dir; then
    rm -rf "$dir"
    echo "demo:monitoring: configuration ok (promtool check config, amtool check-config)"
  else
    echo "demo:monitoring: configuration ok: $dir/prometheus.yml $dir/alertmanager.yml"
  fi
  exit 0
fi

pids=()
cleanup() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if $remove_dir; then rm -rf "$dir"; fi
  echo "demo:monitoring: stopped"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$alertmanager_bin" \
  --config.file="$dir/alertmanager.yml" \
  --storage.path="$dir/alertmanager-data" \
  --web.listen-address="127.0.0.1:$alertmanager_port" \
  --cluster.listen-address= \
  >"$dir/alertmanager.log" 2>&1 &
pids+=($!)

prometheus \
  --config.file="$dir/prometheus.yml" \
  --storage.tsdb.path="$dir/prometheus-data" \
  --web.listen-address="127.0.0.1:$prometheus_port" \
  >"$dir/prometheus.log" 2>&1 &
pids+=($!)

# The alerts page depends on the build: upstream's UI serves /alerts, Debian's package (built without the React
# UI, scripts/system-deps.txt) serves only the classic one and answers 404 on /alerts. Wait until Prometheus is
# ready, then print the page this one serves.
alerts_url=$(node -e '
  const base = process.argv[1]
  const ok = async (path) => { try { return (await fetch(base + path)).ok } catch { return false } }
  const main = async () => {
    const deadline = Date.now() + 20000
    while (Date.now() < deadline && !(await ok("/-/ready"))) await new Promise((r) => setTimeout(r, 200))
    for (const path of ["/alerts", "/classic/alerts"]) if (await ok(path)) return base + path
    return base + "/api/v1/alerts"
  }
  main().then((url) => console.log(url))
' "http://127.0.0.1:$prometheus_port")

cat <<INFO
demo:monitoring: scraping $demo_url (job "vivr") with ops/prometheus/rules.yml and the SLO rules (ops/slo/generated/rules) loaded
  Prometheus:   http://127.0.0.1:$prometheus_port   (alerts: $alerts_url)
  Alertmanager: http://127.0.0.1:$alertmanager_port
  data and logs: $dir
Stop Redis (or the demo) and watch HealthCheckFailing / ServiceDown go pending, then fire (about 2.5 min).
Ctrl-C stops both.
INFO

# Either process exiting ends the stack (its log says why).
set +e
wait -n "${pids[@]}"
status=$?
echo "demo:monitoring: a server exited (status $status); see $dir/prometheus.log and $dir/alertmanager.log" >&2
tail -n 5 "$dir/prometheus.log" "$dir/alertmanager.log" >&2
exit 1
