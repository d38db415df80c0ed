#!/usr/bin/env bash
# Regenerates every file in seeds/demo/media/ from scratch.
#
# Videos: one short silent WebM (VP9) per video Quick Learn, 320x180, made with
# ffmpeg's lavfi sources. The title and duration are read from the item's TOML
# file, so the video always matches the catalog entry.
# Images: two labelled diagrams and a four-picture photo sequence, drawn with Pillow.
#
# Requirements (Debian): apt-get install -y ffmpeg fonts-dejavu-core
#                        and a Python 3.11+ with Pillow (PYTHON=... to choose it).
# Usage: seeds/demo/make_media.sh            (from anywhere)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MEDIA="$HERE/media"
ITEMS="$HERE/items"
FONT="${FONT:-/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf}"
FONT_BOLD="${FONT_BOLD:-/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf}"
PYTHON="${PYTHON:-python3}"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$MEDIA"

# Department colour for the video background.
colour_for() {
  case "$1" in
    sales) echo "0x1f4e79" ;;
    support) echo "0x2e6b4f" ;;
    finance) echo "0x5b3a7a" ;;
    operations) echo "0x8a4b12" ;;
    *) echo "0x333333" ;;
  esac
}

# ------------------------------------------------------------------ videos
# One line per video Quick Learn: file<TAB>duration<TAB>department<TAB>title
"$PYTHON" - "$ITEMS" > "$TMP/videos.tsv" <<'PY'
import sys, tomllib, pathlib
for p in sorted(pathlib.Path(sys.argv[1]).glob("*.toml")):
    d = tomllib.loads(p.read_text())
    m = d.get("media") or {}
    if d.get("type") == "quick_learn" and m.get("kind") == "video":
        print(f'{m["file"]}\t{m["duration_seconds"]}\t{d["department"]}\t{d["title"]}')
PY

while IFS=$'\t' read -r file dur dept title; do
  # Wrap the title to ~26 characters per line; textfile avoids escaping issues.
  printf '%s' "$title" | fold -s -w 26 | sed 's/ *$//' > "$TMP/title.txt"
  printf 'Quick Learn · %s' "$dept" > "$TMP/label.txt"
  bg="$(colour_for "$dept")"
  ffmpeg -nostdin -hide_banner -loglevel error -y \
    -f lavfi -i "color=c=${bg}:s=320x180:r=24:d=${dur}" \
    -f lavfi -i "testsrc2=s=64x36:r=24:d=${dur}" \
    -filter_complex "[0:v][1:v]overlay=x=W-w-10:y=10[b];\
[b]drawtext=fontfile=${FONT}:textfile=$TMP/label.txt:fontcolor=white@0.8:fontsize=11:x=12:y=14,\
drawtext=fontfile=${FONT_BOLD}:textfile=$TMP/title.txt:fontcolor=white:fontsize=17:line_spacing=4:x=12:y=(h-text_h)/2+6:alpha='min(1,t/0.8)',\
drawbox=x=0:y=ih-6:w=iw:h=6:color=black@0.35:t=fill,\
drawbox=x=0:y=ih-6:w='iw*t/${dur}':h=6:color=white@0.9:t=fill[v]" \
    -map "[v]" -an -c:v libvpx-vp9 -b:v 0 -crf 40 -deadline good -cpu-used 4 \
    -row-mt 1 -pix_fmt yuv420p -t "$dur" "$MEDIA/$file"
  echo "made $file (${dur}s)"
done < "$TMP/videos.tsv"

# ------------------------------------------------------------------ images
"$PYTHON" - "$MEDIA" "$FONT" "$FONT_BOLD" <<'PY'
import sys
from PIL import Image, ImageDraw, ImageFont

media, font_path, bold_path = sys.argv[1:4]
W, H = 640, 360
def f(size, bold=False):
    return ImageFont.truetype(bold_path if bold else font_path, size)

# 1. Pipeline stages at a glance
img = Image.new("RGB", (W, H), "#f4f6f9")
d = ImageDraw.Draw(img)
d.rectangle([0, 0, W, 52], fill="#1f4e79")
d.text((20, 14), "Pipeline stages at a glance", font=f(22, True), fill="white")
stages = [("Discover", "Problem in the\ncustomer's words"),
          ("Qualify", "Know who decides\nand by when"),
          ("Demo", "Owner confirms\nwe can fix it"),
          ("Propose", "Price seen,\nstill engaged"),
          ("Close", "Signed")]
bw, gap, top = 104, 19, 90
for i, (name, exit_) in enumerate(stages):
    x = 20 + i * (bw + gap)
    d.rounded_rectangle([x, top, x + bw, top + 70], radius=10,
                        fill="#2f6fa8" if i < 4 else "#2e8b57")
    tw = d.textlength(name, font=f(15, True))
    d.text((x + (bw - tw) / 2, top + 25), name, font=f(15, True), fill="white")
    if i < 4:
        ax = x + bw + 2
        d.polygon([(ax, top + 28), (ax + gap - 6, top + 35), (ax, top + 42)], fill="#555")
    d.multiline_text((x + 2, top + 90), exit_, font=f(11), fill="#222", spacing=3)
d.text((20, top + 140), "Leave a column only when the text under it is true.",
       font=f(13, True), fill="#1f4e79")
d.ellipse([20, 292, 34, 306], fill="#d03030")
d.text((42, 291), "Red dot = next step date in the past. Fix these first every morning.",
       font=f(13), fill="#222")
d.text((20, 332), "Sales ops · the marketplace demo", font=f(10), fill="#777")
img.save(f"{media}/crm-pipeline-view-explained.png", optimize=True)

# 2. Receipt photo: rejected vs passes
img = Image.new("RGB", (W, H), "#f7f5f0")
d = ImageDraw.Draw(img)
d.rectangle([0, 0, W, 52], fill="#5b3a7a")
d.text((20, 14), "Receipt photos: rejected vs passes", font=f(22, True), fill="white")
# rejected: tilted, cropped receipt
bad = Image.new("RGBA", (150, 210), (0, 0, 0, 0))
bd = ImageDraw.Draw(bad)
bd.rectangle([0, 0, 149, 209], fill="#e9e6dc")
for y in range(30, 190, 18):
    bd.line([14, y, 130, y], fill="#b9b4a6", width=5)
bad = bad.rotate(17, expand=True, fillcolor=(0, 0, 0, 0))
img.paste(bad, (25, 90), bad)
d.rectangle([0, 70, 40, 330], fill="#f7f5f0")  # crop the left edge off
d.text((40, 72), "REJECTED", font=f(16, True), fill="#c0392b")
for i, t in enumerate(["Cropped: no supplier name", "Blurred total",
                       "Taken at an angle", "Too dark to read tax"]):
    d.text((200, 110 + i * 26), "✗ " + t, font=f(12), fill="#c0392b")
# passes: flat, full receipt with the four fields
x0 = 400
d.text((x0, 72), "PASSES", font=f(16, True), fill="#1e8449")
d.rectangle([x0, 98, x0 + 140, 330], fill="white", outline="#999")
lines = [("CITY CAFE LTD", True), ("12/03/2026  13:42", False), ("", False),
         ("Lunch x2      31.00", False), ("Water          3.50", False), ("", False),
         ("TOTAL         34.50", True), ("incl. VAT      5.75", False)]
for i, (t, b) in enumerate(lines):
    d.text((x0 + 10, 110 + i * 22), t, font=f(11, b), fill="#111")
for row, t in [(0, "Supplier"), (1, "Date"), (6, "Total"), (7, "Tax")]:
    d.text((x0 + 150, 110 + row * 22), "✓ " + t, font=f(12), fill="#1e8449")
d.text((200, 230), "Can you read all four\non your phone screen?\nThen we can too.",
       font=f(13, True), fill="#333", spacing=4)
img.save(f"{media}/receipt-photo-that-passes.png", optimize=True)
print("made crm-pipeline-view-explained.png, receipt-photo-that-passes.png")
PY

# ------------------------------------------------------------------ photo sequence
"$PYTHON" - "$MEDIA" "$FONT" "$FONT_BOLD" <<'PY'
import sys
from PIL import Image, ImageDraw, ImageFont

media, font_path, bold_path = sys.argv[1:4]
W, H = 640, 360
def f(size, bold=False):
    return ImageFont.truetype(bold_path if bold else font_path, size)

# 3. Stretch-wrapping a pallet: a four-photo sequence, one step per picture
steps = ["Tie the film to a corner post", "Three turns round the base",
         "Spiral up, half of each turn overlapping", "Three turns at the top, tuck the tail"]
for n, text in enumerate(steps, 1):
    img = Image.new("RGB", (W, H), "#f3efe9")
    d = ImageDraw.Draw(img)
    d.rectangle([0, 0, W, 52], fill="#8a4b12")
    d.text((20, 14), f"Step {n} of 4", font=f(22, True), fill="white")
    d.text((170, 20), text, font=f(15), fill="white")
    x0, x1, base = 200, 440, 318
    d.rectangle([x0 - 10, base, x1 + 10, base + 14], fill="#a0703c")  # pallet deck
    for bx in (x0 - 10, (x0 + x1) // 2 - 12, x1 - 14):
        d.rectangle([bx, base + 14, bx + 24, base + 26], fill="#7a5226")  # blocks
    for row in range(4):  # cartons
        for col in range(3):
            top = base - (row + 1) * 56
            left = x0 + col * 80
            d.rectangle([left + 2, top + 2, left + 78, top + 54], fill="#d9b47a", outline="#8c6a3a", width=2)
    top_of_load = base - 4 * 56
    film = "#5aa0d8"
    if n == 1:
        d.line([x0 - 6, base - 6, x0 - 60, base - 40], fill=film, width=6)
        d.ellipse([x0 - 80, base - 60, x0 - 44, base - 24], outline="#333", width=3)
        d.text((x0 - 170, base - 100), "knot the film\nround the post", font=f(13), fill="#333", spacing=3)
    turns = {1: 0, 2: 3, 3: 8, 4: 13}[n]
    for t in range(turns):
        y = base - 8 - t * 18 if t < 3 else base - 62 - (t - 3) * 24
        y = max(y, top_of_load + 6 + (t - 10) * 16) if t >= 10 else y
        d.line([x0 - 6, y, x1 + 6, y - 12], fill=film, width=5)
    if n == 3:
        d.text((x1 + 24, base - 170), "overlap\nhalf the\nfilm width", font=f(13), fill="#333", spacing=3)
        d.line([x1 + 20, base - 130, x1 + 8, base - 120], fill="#333", width=2)
    if n == 4:
        d.text((x1 + 24, top_of_load + 10), "tuck the tail\nunder a turn", font=f(13), fill="#333", spacing=3)
        d.line([x0 - 6, top_of_load + 14, x1 + 6, top_of_load + 2], fill=film, width=5)
    d.text((450, 332), "Operations · the marketplace demo", font=f(10), fill="#777")
    img.save(f"{media}/stretch-wrapping-a-pallet-{n}.png", optimize=True)
print("made stretch-wrapping-a-pallet-1.png … -4.png")
PY
