#!/usr/bin/env bash
# Builds the Debian package .build/deb/vitalgate_<version>-<revision>_<arch>.deb and prints its
# path (the only line on standard output; the build's output goes to standard error):
#
#   scripts/package-deb.sh                # then: dpkg -i "$(…)" or scripts/test-deb.sh
#
# No debhelper: the tree is staged here and packed with `dpkg-deb --root-owner-group` (no root,
# no fakeroot), Depends come from dpkg-shlibdeps. Everything installed is derived from the
# repository at build time, so nothing is kept twice:
#   - the version is BuildInfo.version (Sources/VitalGateCommands/Version/BuildInfo.swift), plus
#     a Debian revision ($VITALGATE_DEB_REVISION, default 1) for packaging-only changes;
#   - /usr/bin/vitalgate is the release build with the static Swift runtime, its commit stamped
#     by scripts/stamp-commit.sh ($VITALGATE_COMMIT when building from a tarball), stripped;
#   - /etc/vitalgate/vitalgate.conf is Config/vitalgate.conf with an absolute data_dir, and
#     /lib/systemd/system/vitalgate.service is Config/vitalgate.service running /usr/bin/vitalgate;
#   - the manual page is written by swift-argument-parser's generate-manual from the binary's help.
# Maintainer scripts, copyright and lintian overrides are in packaging/deb/ (docs/OPERATIONS.md,
# "Debian package"; docs/DECISIONS.md, "A Debian package built without debhelper").
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in dpkg-deb dpkg-shlibdeps strip readelf gzip; do
  command -v "$tool" > /dev/null || { echo "package-deb: $tool not found (apt-get install dpkg-dev binutils)" >&2; exit 1; }
done

upstream=$(sed -n 's/^ *public static let version = "\([^"]*\)"$/\1/p' Sources/VitalGateCommands/Version/BuildInfo.swift)
# Debian upstream versions start with a digit; a '-' would be taken for the revision.
[[ $upstream =~ ^[0-9][A-Za-z0-9.+~]*$ ]] || { echo "package-deb: no usable version in BuildInfo.swift ('$upstream')" >&2; exit 1; }
version=$upstream-${VITALGATE_DEB_REVISION:-1}
arch=$(dpkg --print-architecture)
maintainer=${VITALGATE_DEB_MAINTAINER:-VitalGate maintainers <maintainers@users.noreply.b-seed-6e7afe2a.example>}
out=.build/deb
# Timestamps (the changelog's date, gzip headers, file times in the archive) are the commit's,
# not the build's: the package's metadata says when the code is from.
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2> /dev/null || date +%s)}
export SOURCE_DATE_EPOCH

# -z now: every symbol bound at start, so the whole GOT is read-only (full RELRO; lintian's
# hardening-no-bindnow).
build=(swift build -c release --static-swift-stdlib -Xlinker -z -Xlinker now)
echo "package-deb: building vitalgate $version ($arch), release, static Swift runtime" >&2
scripts/stamp-commit.sh "${build[@]}" --product vitalgate >&2
# The manual's generator is a swift-argument-parser tool; same flags, so the library is reused.
"${build[@]}" --product generate-manual >&2
bin_dir=$("${build[@]}" --show-bin-path)
binary=$bin_dir/vitalgate
# Debian has no Swift runtime package: a binary that needs libswiftCore.so would not start.
if readelf -d "$binary" | grep -E "NEEDED.*(libswift|libFoundation|lib_Foundation|libdispatch|libBlocksRuntime)" >&2; then
  echo "package-deb: $binary links the Swift runtime dynamically (build with --static-swift-stdlib)" >&2
  exit 1
fi

# The staging tree is debian/vitalgate beside a minimal debian/control, where dpkg-shlibdeps
# expects a package's files.
rm -rf "$out"
root=$out/debian/vitalgate
umask 022
mkdir -p "$root/DEBIAN" "$root/usr/share/doc/vitalgate"
doc=$root/usr/share/doc/vitalgate

# dh_strip's way for an executable: no symbols, no .comment or .note (the ELF notes that
# Swift and the loader need, .note.*, stay).
install -D -m 0755 "$binary" "$root/usr/bin/vitalgate"
strip --remove-section=.comment --remove-section=.note "$root/usr/bin/vitalgate"

# The configuration, as a conffile: the repository's, with the data directory the package makes.
# A relative data_dir would be relative to whatever directory a command is typed in.
conf=$root/etc/vitalgate/vitalgate.conf
install -D -m 0644 Config/vitalgate.conf "$conf"
sed -i -e 's|^data_dir = "data"  *#.*$|data_dir = "/var/lib/vitalgate"     # vault, keys and state live here (the package made it, 0700, owned by vitalgate)|' \
  -e '1a #\n# Installed by the vitalgate package as a conffile: upgrades keep your edits. It differs from\n# the built-in defaults in one value: data_dir is /var/lib/vitalgate (the built-in "data" is\n# relative to the working directory).' \
  "$conf"
if ! grep -q '^data_dir = "/var/lib/vitalgate" ' "$conf" || grep -q '^data_dir = "data"' "$conf"; then
  echo "package-deb: Config/vitalgate.conf has no 'data_dir = \"data\"  # …' line to replace" >&2
  exit 1
fi

# The unit: the repository's, running /usr/bin/vitalgate, without the manual-install steps, and
# pointing at the manual page the package installs (`systemctl help vitalgate`).
unit=$root/lib/systemd/system/vitalgate.service
install -D -m 0644 Config/vitalgate.service "$unit"
sed -i -e '/^# To install it by hand/,/^#$/d' -e '/^#   /d' -e 's|/usr/local/bin/vitalgate|/usr/bin/vitalgate|g' \
  -e '/^Description=/a Documentation=man:vitalgate(1)' "$unit"
if [ "$(grep -c '^ExecStart=/usr/bin/vitalgate run ' "$unit")" -ne 1 ] || grep -q '/usr/local\|To install it by hand' "$unit"; then
  echo "package-deb: Config/vitalgate.service changed shape (one ExecStart; the manual-install comment)" >&2
  exit 1
fi

# Reference copies of the firmware schemas built into the binary (a base for a schema directory).
install -d "$root/usr/share/vitalgate/schemas"
install -m 0644 Firmware-Schemas/*.json "$root/usr/share/vitalgate/schemas/"

# Documentation, laid out as in the repository so relative links read the same.
install -m 0644 README.md "$doc/"
install -d "$doc/docs" "$doc/Firmware-Schemas" "$doc/examples"
install -m 0644 docs/*.md "$doc/docs/"
install -m 0644 Firmware-Schemas/README.md "$doc/Firmware-Schemas/"
install -m 0644 Config/fleet-example.json Config/operators-example.json Config/fleet-document.schema.json "$doc/examples/"
install -m 0644 packaging/deb/copyright "$doc/copyright"
# One changelog entry per build: the version and commit; the history is the repository's.
commit=$("$root/usr/bin/vitalgate" --version | sed -n 's/^commit //p')
{
  echo "vitalgate ($version) unstable; urgency=medium"
  echo
  echo "  * VitalGate $upstream, built from commit $commit."
  echo
  echo " -- $maintainer  $(date -u -R -d "@$SOURCE_DATE_EPOCH")"
} > "$doc/changelog.Debian"
# Policy 12.3: documentation over 4 kB compressed; the changelog always. copyright never.
find "$doc" -type f ! -name copyright \( -size +4k -o -name changelog.Debian \) -exec gzip -9n {} +

# The manual page, from the binary's own help (all subcommands on one page).
man_dir=$(mktemp -d)
trap 'rm -rf "$man_dir"' EXIT
"$bin_dir/generate-manual" "$root/usr/bin/vitalgate" --output-directory "$man_dir" \
  --date "$(date -u -d "@$SOURCE_DATE_EPOCH" +%F)" >&2
install -D -m 0644 "$man_dir/vitalgate.1" "$root/usr/share/man/man1/vitalgate.1"
gzip -9n "$root/usr/share/man/man1/vitalgate.1"

install -D -m 0644 packaging/deb/lintian-overrides "$root/usr/share/lintian/overrides/vitalgate"

# Control files.
install -m 0755 packaging/deb/postinst packaging/deb/prerm packaging/deb/postrm "$root/DEBIAN/"
install -m 0644 packaging/deb/conffiles "$root/DEBIAN/"
printf 'Source: vitalgate\n\nPackage: vitalgate\nArchitecture: any\n' > "$out/debian/control"
shlibs=$(cd "$out" && dpkg-shlibdeps -O debian/vitalgate/usr/bin/vitalgate | sed -n 's/^shlibs:Depends=//p')
[ -n "$shlibs" ] || { echo "package-deb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
# Packed relative relocations (Package.swift's agentLinking) need glibc's loader from 2.36: the
# binary requires the version GLIBC_ABI_DT_RELR but uses no symbol of it, which dpkg-shlibdeps
# does not count (it says libc6 (>= 2.35)).
if readelf -V "$root/usr/bin/vitalgate" | grep -q GLIBC_ABI_DT_RELR; then
  libc=$(sed -n 's/.*libc6 (>= \([^)]*\)).*/\1/p' <<< "$shlibs")
  if [ -n "$libc" ] && dpkg --compare-versions "$libc" lt 2.36; then
    shlibs=${shlibs/"libc6 (>= $libc)"/"libc6 (>= 2.36)"}
  fi
fi
# libcurl is loaded with dlopen at first use (FHIR sink, EVM ledger), so dpkg-shlibdeps cannot
# see it; adduser makes the system user in postinst.
depends="$shlibs, libcurl4, adduser"
# Installed-Size as dpkg-gencontrol counts it: KiB per file rounded up, plus one per directory.
size=$(find "$root" -path "$root/DEBIAN" -prune -o \( -type f -printf '%s\n' -o -printf '1024\n' \) \
  | awk '{ kib += int(($1 + 1023) / 1024) } END { print kib }')
control=$(< packaging/deb/control.in)
control=${control//@VERSION@/$version}
control=${control//@ARCH@/$arch}
control=${control//@MAINTAINER@/$maintainer}
control=${control//@INSTALLED_SIZE@/$size}
control=${control//@DEPENDS@/$depends}
printf '%s\n' "$control" > "$root/DEBIAN/control"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) > "$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/md5sums"

find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
deb=$out/vitalgate_${version}_$arch.deb
dpkg-deb --root-owner-group --build "$root" "$deb" >&2
echo "$deb"
