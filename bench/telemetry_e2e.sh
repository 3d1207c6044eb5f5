#!/usr/bin/env bash
# End-to-end: `carbonctl emissions compute` against bench/telemetry_pandas.py on the same generated nvidia-smi
# captures, in the same run; wall seconds and peak RSS from /usr/bin/time, energy from each tool's output.
# Usage (after `dotnet build src/CarbonFunctions.Local -c Release` and `dotnet build bench/CarbonFunctions.Bench -c Release`):
#   flock /tmp/carbon-build.lock bench/telemetry_e2e.sh 64 256 1024
set -euo pipefail
cd "$(dirname "$0")/.."
gen=bench/CarbonFunctions.Bench/bin/Release/net10.0/CarbonFunctions.Bench
cli=${CARBONCTL:-src/CarbonFunctions.Local/bin/Release/net10.0/carbonctl}
python=${PYTHON:-/usr/bin/python3}
dir=${TELEMETRY_DIR:-/tmp/carbonfunctions-e2e}
mkdir -p "$dir"
[ -f "$dir/trace.csv" ] || "$gen" generate trace 30 "$dir/trace.csv" >/dev/null
printf '| File | carbonctl s | carbonctl peak RSS MiB | pandas s | pandas peak RSS MiB | speed-up | carbonctl kWh | pandas kWh | relative difference |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n'
for mib in "$@"; do
  file="$dir/nvidia-smi-${mib}mb.csv"
  [ -f "$file" ] || "$gen" generate nvidia-smi "$mib" "$file" >/dev/null
  cat "$file" > /dev/null # both tools read from the page cache
  /usr/bin/time -f '%e %M' -o "$dir/cli.time" "$cli" emissions compute --telemetry "$file" --intensity "$dir/trace.csv" --json > "$dir/cli.json"
  /usr/bin/time -f '%e %M' -o "$dir/py.time" "$python" bench/telemetry_pandas.py "$file" > "$dir/py.out"
  read -r cs ck < "$dir/cli.time"; read -r ps pk < "$dir/py.time"
  ckwh=$(grep -m1 '"energyKwh"' "$dir/cli.json" | sed -E 's/.*: *([0-9.eE+-]+).*/\1/')
  pkwh=$(awk '{print $2}' "$dir/py.out")
  awk -v m="$mib" -v cs="$cs" -v ck="$ck" -v ps="$ps" -v pk="$pk" -v c="$ckwh" -v p="$pkwh" 'BEGIN {
    d = (c - p) / p; if (d < 0) d = -d;
    printf "| %d MiB | %.2f | %.0f | %.2f | %.0f | %.1fx | %.9f | %.9f | %.1e |\n", m, cs, ck / 1024, ps, pk / 1024, ps / cs, c, p, d }'
done
