#!/usr/bin/env bash
# Replays generated job mixes on a year of real hourly data and prints the savings next to the published figures of
# Sukprasert et al. (EuroSys '24: perfect forecast, 24 h slack: 15.6 % for 1 h jobs, 3.6 % for 24 h jobs, 8.6 % if
# interruptible), plus the timing of the issue's speed target. Needs a Release build and ../shared/data.
# Usage: flock /tmp/carbon-build.lock bench/simulate/compare-published.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${DATA:-../shared/data/carbon}
run() { dotnet run --project src/CarbonFunctions.Local -c Release --no-build -- simulate --json "$@"; }
summ() { python3 -c '
import json, sys
d = json.load(sys.stdin)
for p in d["policies"]:
    share = p["oracleSharePercent"]
    print("  %-15s saving %5.1f %%  of oracle %s %%  misses %d  regret %.1f kg" % (p["policy"], p["savingPercent"], share if share is None else round(share), p["deadlineMisses"], p["regretKg"]))
print("  wall %.2f s for %d jobs" % (d["wallSeconds"], d["jobCount"]))'; }
for trace in us-cal-ciso-2022_hourly.csv es-2022_hourly.csv; do
  echo "== $trace: 1 h jobs, 24 h slack, perfect forecast (paper: 15.6 %)"
  run --trace "$DATA/$trace" --generate 1000 --min-hours 1 --max-hours 1 --min-slack-hours 24 --max-slack-hours 24 --interruptible-share 0 --policy best-window,oracle | summ
  echo "== $trace: 24 h jobs, 24 h slack, not interruptible (paper: 3.6 %)"
  run --trace "$DATA/$trace" --generate 1000 --min-hours 24 --max-hours 24 --min-slack-hours 24 --max-slack-hours 24 --interruptible-share 0 --policy best-window,oracle | summ
  echo "== $trace: 24 h jobs, 24 h slack, interruptible (paper: 8.6 %)"
  run --trace "$DATA/$trace" --generate 1000 --min-hours 24 --max-hours 24 --min-slack-hours 24 --max-slack-hours 24 --interruptible-share 1 --policy suspend-resume,oracle | summ
done
echo "== speed target: a year of hourly data, 2,000 jobs (1-96 h, slack 0-7 days), oracle,best-window,suspend-resume"
/usr/bin/time -f "  process: %e s wall, %M KB max RSS" dotnet run --project src/CarbonFunctions.Local -c Release --no-build -- simulate --json \
  --trace "$DATA/us-cal-ciso-2022_hourly.csv" --generate 2000 --policy oracle,best-window,suspend-resume | summ
echo "== the same with seeded forecast noise (σ 15 % of the mean, growing 0.5×/24 h)"
run --trace "$DATA/us-cal-ciso-2022_hourly.csv" --generate 2000 --policy oracle,best-window,suspend-resume --forecast noise:sigma=15,growth=0.5 | summ
