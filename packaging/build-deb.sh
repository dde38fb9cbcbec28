#!/usr/bin/env bash
# Builds activegate_<version>_<arch>.deb from `./build.sh publish` output.
# Usage: packaging/build-deb.sh [RID...]   (default: every RID that has been published)
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
ARTIFACTS="$PWD/artifacts"
VERSION="$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' Directory.Build.props | head -1)"
[ -n "$VERSION" ] || { echo "build-deb.sh: no <Version> in Directory.Build.props" >&2; exit 1; }

deb_arch() {
  case "$1" in
    linux-x64) echo amd64 ;;
    linux-arm64) echo arm64 ;;
    linux-arm) echo armhf ;;
    *) echo "build-deb.sh: unknown RID $1" >&2; exit 1 ;;
  esac
}

rids=("$@")
if [ ${#rids[@]} -eq 0 ]; then
  for dir in "$ARTIFACTS"/publish/*/; do [ -d "$dir" ] && rids+=("$(basename "$dir")"); done
fi
[ ${#rids[@]} -gt 0 ] || { echo "build-deb.sh: nothing published; run ./build.sh publish first" >&2; exit 1; }

for rid in "${rids[@]}"; do
  arch="$(deb_arch "$rid")"
  published="$ARTIFACTS/publish/$rid"
  [ -x "$published/activegate" ] || { echo "build-deb.sh: $published/activegate missing" >&2; exit 1; }
  root="$(mktemp -d)"
  trap 'rm -rf "$root"' EXIT
  install -d "$root/DEBIAN" "$root/usr/lib/activegate" "$root/usr/bin" "$root/etc/activegate" \
    "$root/lib/systemd/system" "$root/usr/share/doc/activegate"
  cp -a "$published/." "$root/usr/lib/activegate/"
  ln -s /usr/lib/activegate/activegate "$root/usr/bin/activegate"
  install -m 644 packaging/etc/activegate/appsettings.json "$root/etc/activegate/appsettings.json"
  install -m 644 systemd/activegate.service "$root/lib/systemd/system/activegate.service"
  install -m 644 README.md "$root/usr/share/doc/activegate/README.md"
  extra=""
  # The armhf build is framework-dependent: it needs Debian's .NET runtime.
  [ "$rid" = "linux-arm" ] && extra=", dotnet-runtime-10.0 | dotnet-runtime"
  sed -e "s/@VERSION@/$VERSION/" -e "s/@ARCH@/$arch/" -e "s/@EXTRA_DEPENDS@/$extra/" \
    packaging/deb/DEBIAN/control.in > "$root/DEBIAN/control"
  echo "Installed-Size: $(du -sk "$root" | cut -f1)" >> "$root/DEBIAN/control"
  install -m 644 packaging/deb/DEBIAN/conffiles "$root/DEBIAN/conffiles"
  install -m 755 packaging/deb/DEBIAN/postinst packaging/deb/DEBIAN/prerm packaging/deb/DEBIAN/postrm "$root/DEBIAN/"
  mkdir -p "$ARTIFACTS/deb"
  out="$ARTIFACTS/deb/activegate_${VERSION}_${arch}.deb"
  dpkg-deb --root-owner-group --build "$root" "$out" >/dev/null
  echo "$out"
  rm -rf "$root"
  trap - EXIT
done
