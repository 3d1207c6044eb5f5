#!/usr/bin/env bash
# Renders a simulation report in headless Chromium, takes a screenshot and checks that the charts are drawn:
# the HTML has its three SVG charts, and the screenshot is not blank (many distinct colours, the chart colours present).
# Usage: bench/report/screenshot-check.sh [OUT_DIR]   (needs a Release build and Debian's chromium at /usr/bin/chromium)
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-$(mktemp -d)}
mkdir -p "$OUT"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
  echo "skipped: $CHROMIUM is not installed (apt-get install -y chromium)" >&2
  exit 0
fi
dotnet run --project src/CarbonFunctions.Local -c Release --no-build -- simulate \
  --trace samples/carbon/us-cal-ciso-2022-06-06_week_hourly.csv --generate 12 --max-hours 12 --max-slack-hours 48 \
  --policy run-now,best-window,suspend-resume,oracle --forecast noise:sigma=15 --seed 2 --html "$OUT/report.html" >/dev/null
for id in intensity-chart policy-chart job-chart; do
  grep -q "<svg id=\"$id\"" "$OUT/report.html" || { echo "error: $id missing from the HTML" >&2; exit 1; }
done
PROFILE=$(mktemp -d)
"$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update --disable-sync \
  --no-first-run --user-data-dir="$PROFILE" --screenshot="$OUT/report.png" --window-size=1200,2200 "file://$(realpath "$OUT/report.html")" 2>/dev/null
rm -rf "$PROFILE"
python3 - "$OUT/report.png" <<'PY'
import sys, zlib, struct
# A dependency-free PNG reader: 8-bit RGB/RGBA, non-interlaced (what Chromium writes).
data = open(sys.argv[1], 'rb').read()
assert data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
pos, idat, w = 8, b'', 0
while pos < len(data):
    n, kind = struct.unpack('>I4s', data[pos:pos + 8]); body = data[pos + 8:pos + 8 + n]; pos += 12 + n
    if kind == b'IHDR': w, h, depth, colour = struct.unpack('>IIBB', body[:10]); bpp = {2: 3, 6: 4}[colour]
    elif kind == b'IDAT': idat += body
raw, stride, prev, colours = zlib.decompress(idat), w * bpp, bytearray(w * bpp), {}
for y in range(h):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0; b = prev[i]; c = prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    prev = line
    for x in range(0, w, 2):
        px = tuple(line[x * bpp:x * bpp + 3]); colours[px] = colours.get(px, 0) + 1
def near(rgb, tol=40): return sum(n for px, n in colours.items() if all(abs(px[i] - rgb[i]) <= tol for i in range(3)))
checks = {'curve blue #2a7ab9': near((0x2a, 0x7a, 0xb9)), 'actual-run green #2e8b57': near((0x2e, 0x8b, 0x57)), 'planned amber (#f2b134 at 55 %)': near((246, 210, 141), 25), 'counterfactual grey #aaa': near((0xaa, 0xaa, 0xaa), 6)}
print(f'{w}x{h}, {len(colours)} distinct colours; ' + ', '.join(f'{k}: {v} px' for k, v in checks.items()))
assert len(colours) > 50, 'the screenshot is (nearly) blank'
for k, v in checks.items(): assert v > 20, f'no {k} pixels: that chart was not drawn'
print('ok: the report renders with its charts')
PY
echo "screenshot: $OUT/report.png"
