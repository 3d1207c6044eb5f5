#!/usr/bin/env bash
# CarbonFunctions — the two commands of the README.
#   ./run.sh demo   install what is needed (npm ci, dotnet restore/build) and run the demo end to end
#   ./run.sh test   build and run every test project; ends with "N passed, N failed, N skipped"
# Other verbs: build, bench.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
ART="$ROOT/artifacts"
mkdir -p "$ART"

install_node_tools() {
  if [ ! -x node_modules/.bin/azurite ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "Installing Azurite and the HCL parser from package-lock.json (npm ci)..."
    npm ci --no-audit --no-fund --loglevel=error >/dev/null
  fi
}

# Restores the whole solution, the Functions app and its tests included. A restore failure stops the build
# with the restore's own errors and one line naming the package that could not be had.
restore() {
  echo "Restoring NuGet packages (dotnet restore)..."
  if ! dotnet restore CarbonFunctions.sln --verbosity quiet >"$ART/restore.log" 2>&1; then
    grep -E 'error' "$ART/restore.log" | sort -u >&2 || cat "$ART/restore.log" >&2
    echo "error: dotnet restore failed; the package source must serve every package in Directory.Packages.props ($(grep -oE 'NU1[0-9]{3}: [^[]*' "$ART/restore.log" | head -1))." >&2
    exit 1
  fi
}

build() {
  install_node_tools
  restore
  echo "Building (dotnet build)..."
  dotnet build CarbonFunctions.sln --no-restore --configuration Release --nologo --verbosity quiet -clp:NoSummary
}

case "${1:-}" in
  build)
    build
    ;;
  demo)
    build
    shift
    dotnet run --project src/CarbonFunctions.Local --configuration Release --no-build -- demo "$@"
    ;;
  test)
    build
    rm -rf "$ART/test-results"
    status=0
    dotnet test CarbonFunctions.sln --configuration Release --no-build --nologo --verbosity quiet \
      --logger "trx" --results-directory "$ART/test-results" || status=$?
    node -e '
      const fs = require("fs"), path = require("path");
      const dir = process.argv[1];
      let passed = 0, failed = 0, skipped = 0;
      const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter(f => f.endsWith(".trx")) : [];
      for (const f of files) {
        const m = fs.readFileSync(path.join(dir, f), "utf8").match(/<Counters[^>]*>/);
        if (!m) continue;
        const get = k => Number((m[0].match(new RegExp(k + "=\"(\\d+)\"")) || [0, 0])[1]);
        passed += get("passed"); failed += get("failed") + get("error") + get("timeout") + get("aborted");
        skipped += get("notExecuted");
      }
      console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
    ' "$ART/test-results"
    exit $status
    ;;
  bench)
    build
    shift
    dotnet run --project bench/CarbonFunctions.Bench --configuration Release --no-build -- "$@"
    ;;
  *)
    echo "usage: ./run.sh demo | test | build | bench [BenchmarkDotNet args]" >&2
    exit 64
    ;;
esac
