#!/usr/bin/env bash
# Installs the Debian packages handoutgen needs beyond the Python packages:
# - HarfBuzz-Subset: WeasyPrint subsets embedded fonts with it (without it WeasyPrint
#   falls back to fontTools and warns, and handoutgen treats every warning as a failure);
# - Noto fonts (SIL OFL) for every script Atkinson Hyperlegible lacks: Cyrillic, Greek,
#   Vietnamese, Arabic, Hebrew (fonts-noto-core) and Chinese, Japanese, Korean
#   (fonts-noto-cjk), so patient names and translations never print as empty boxes;
# - GNU gettext: the tests check exported translation files with `msgfmt --check`.
# - poppler-utils: the tests read our PDFs back with pdftotext, as a search tool would.
# - zbar-tools: the tests scan the printed QR codes back (zbarimg) to the address they stand for.
# - chromium: the tests drive Debian's browser (Playwright, no browser download) against
#   `handoutgen serve`, and bench/ compares its PDF route side by side.
set -euo pipefail

need=()
ldconfig -p | grep -q 'libharfbuzz-subset\.so\.0' || need+=(libharfbuzz-subset0)
ldconfig -p | grep -q 'libpango-1\.0\.so\.0' || need+=(libpango-1.0-0 libpangoft2-1.0-0)
[ -f /usr/share/fonts/truetype/noto/NotoSansArabic-Regular.ttf ] || need+=(fonts-noto-core)
[ -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || need+=(fonts-noto-cjk)
[ -x /usr/bin/msgfmt ] || need+=(gettext)
[ -x /usr/bin/pdftotext ] || need+=(poppler-utils)
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/bin/zbarimg ] || need+=(zbar-tools)
# IANA time zones (zoneinfo): FHIR appointment times are shown in the clinic's zone.
[ -f /usr/share/zoneinfo/America/New_York ] || need+=(tzdata)

if ((${#need[@]} == 0)); then
  exit 0
fi
echo "Installing system packages: ${need[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "Please install as root: apt-get install ${need[*]}" >&2; exit 1; }
  sudo="sudo"
fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
