#!/usr/bin/env bash
# Install what chartmill needs on a Debian machine, skipping what is there:
# Tesseract with its English data, the headers its Rust bindings build
# against (leptonica, tesseract, clang for bindgen), and the open fonts the
# synthetic corpus generator draws with; with --browser, Chromium and
# chromedriver for the station's browser tests. Safe to run again.
set -euo pipefail

packages=(
  tesseract-ocr tesseract-ocr-eng libtesseract-dev libleptonica-dev
  libclang-dev clang pkg-config
  fonts-dejavu-core fonts-liberation fonts-freefont-ttf
  fonts-humor-sans fonts-comic-neue fonts-courier-prime
  fonts-urw-base35 fonts-roboto-unhinted fonts-noto-mono fonts-linuxlibertine
  fonts-breip fonts-femkeklaver fonts-dkg-handwriting
)
# --browser: also Debian's Chromium and its WebDriver, for the station's
# end-to-end tests (scripts/test.sh asks for them).
if [ "${1:-}" = "--browser" ]; then
  packages+=(chromium chromium-driver)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: cargo is not installed; install Rust (rustup) first" >&2
  exit 2
fi
