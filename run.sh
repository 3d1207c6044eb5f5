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

# Projects that need the Azure Functions isolated worker and Durable Task packages. They build wherever the
# full NuGet registry is reachable; on a package source that lacks those packages they are left out.
FUNCTIONS_PROJECTS=(src/CarbonFunctions.App/CarbonFunctions.App.csproj tests/CarbonFunctions.App.Tests/CarbonFunctions.App.Tests.csproj)

install_node_tools() {
  if [ ! -x node_modules/.bin/azurite ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "Installing Azurite and the HCL parser from package-lock.json (npm ci)..."
    npm ci --no-audit --no-fund --loglevel=error >/dev/null
  fi
}

# Writes artifacts/build.slnf: every project of the solution, less the Functions projects when their packages
# cannot be restored here. Prints the one line that says so.
write_solution_filter() {
  local excluded=()
  if [ -f "${FUNCTIONS_PROJECTS[0]}" ]; then
    if ! dotnet restore "${FUNCTIONS_PROJECTS[0]}" --verbosity quiet >"$ART/functions-restore.log" 2>&1; then
      if grep -qE 'NU110[123]' "$ART/functions-restore.log"; then
        echo "NOTE: leaving out CarbonFunctions.App and CarbonFunctions.App.Tests: this package source lacks the Azure Functions worker / Durable Task packages ($(grep -oE 'NU110[123]: Unable to find package [A-Za-z0-9.]+' "$ART/functions-restore.log" | head -1))."
        excluded=("${FUNCTIONS_PROJECTS[@]}")
      else
        cat "$ART/functions-restore.log"
        echo "error: restoring the Functions app failed for a reason other than missing packages" >&2
        exit 1
      fi
    fi
  fi
  node -e '
    const fs = require("fs");
    const excluded = new Set(process.argv.slice(1));
    const sln = fs.readFileSync("CarbonFunctions.sln", "utf8");
    const projects = [...sln.matchAll(/"([^"]+\.csproj)"/g)].map(m => m[1].replace(/\\/g, "/"))
      .filter(p => !excluded.has(p));
    fs.writeFileSync("artifacts/build.slnf", JSON.stringify({ solution: { path: "../CarbonFunctions.sln", projects: projects.map(p => p.replace(/\//g, "\\")) } }, null, 2));
  ' "${excluded[@]}"
}

build() {
  install_node_tools
  write_solution_filter
  echo "Building (dotnet build)..."
  dotnet build "$ART/build.slnf" --configuration Release --nologo --verbosity quiet -clp:NoSummary
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
    dotnet test "$ART/build.slnf" --configuration Release --no-build --nologo --verbosity quiet \
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
