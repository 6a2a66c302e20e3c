# Shared by the setup scripts: logging with the script's name, installing Debian packages only when missing, and
# running programs from a newer Debian suite through their own loader. Set LOG_TAG (and CKPT_HOME) before sourcing.

log() { printf '[%s] %s\n' "$LOG_TAG" "$*" >&2; }
die() { printf '[%s] ERROR: %s\n' "$LOG_TAG" "$*" >&2; exit 1; }

# ensure_debs PKG...: apt-get installs the packages that are not installed yet (one apt run for all).
ensure_debs() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || die "apt-get update failed: check that Debian's archive is reachable"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed: run it by hand to see why"
}

# Programs from a newer Debian suite, run on this one without touching its libc: a private apt state per suite
# under $CKPT_HOME/apt-SUITE, a package and its whole library closure unpacked into a prefix of its own, and a
# wrapper that runs the program through that prefix's own loader. Facts: shared docs test-host.md.

# debian_mirror: the Debian mirror this machine already uses (its own apt sources), for the suite it runs.
debian_mirror() {
  local codename
  codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
  apt-get indextargets --format '$(REPO_URI) $(RELEASE)' | awk -v c="$codename" '$2 == c { print $1; exit }'
}

# debian_suite SUITE: reads Debian SUITE's package lists from debian_mirror into $CKPT_HOME/apt-SUITE and sets
# DEB_APT (the options that point apt-get and apt-cache at that private state) and DEB_APT_DIR. Returns 1 with a
# log line when there is no mirror or its lists cannot be read (offline, mirror down).
debian_suite() {
  local suite=$1 uri
  DEB_APT_DIR=$CKPT_HOME/apt-$suite
  uri=$(debian_mirror)
  [ -n "$uri" ] || { log "no Debian mirror found in this machine's apt sources (apt-get indextargets)"; return 1; }
  mkdir -p "$DEB_APT_DIR/lists/partial" "$DEB_APT_DIR/archives/partial"
  echo "deb $uri $suite main" > "$DEB_APT_DIR/sources.list"
  DEB_APT=(-o "Dir::Etc::SourceList=$DEB_APT_DIR/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$DEB_APT_DIR/lists" -o "Dir::State::Status=$DEB_APT_DIR/status"
    -o "Dir::Cache::Archives=$DEB_APT_DIR/archives" -o "Dir::Cache=$DEB_APT_DIR" -o Debug::NoLocking=1
    -o APT::Sandbox::User=root)
  touch "$DEB_APT_DIR/status"
  apt-get "${DEB_APT[@]}" update -qq --error-on=any >&2 || { log "could not read Debian $suite's package lists from $uri"; return 1; }
}

# debian_version PKG: PKG's version in the suite debian_suite opened; empty when the suite has no PKG.
debian_version() {
  { apt-cache "${DEB_APT[@]}" show --no-all-versions "$1" 2>/dev/null || true; } | awk '/^Version:/ { print $2; exit }'
}

# debian_unpack PKG DIR: downloads PKG and its whole dependency closure (no recommends) from the suite debian_suite
# opened and unpacks every package into DIR, made afresh. Returns 1 when the download fails.
debian_unpack() {
  local pkg=$1 dir=$2 pkgs deb
  pkgs=$(apt-cache "${DEB_APT[@]}" depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
    --no-replaces --no-enhances "$pkg" | grep -v '^ ' | grep -v '^<' | sort -u)
  rm -f "$DEB_APT_DIR"/archives/*.deb
  # shellcheck disable=SC2086 # one word per package
  ( cd "$DEB_APT_DIR/archives" && apt-get "${DEB_APT[@]}" download $pkgs >/dev/null ) || return 1
  rm -rf "$dir" && mkdir -p "$dir"
  for deb in "$DEB_APT_DIR"/archives/*.deb; do dpkg -x "$deb" "$dir"; done
}

# debian_wrapper DIR PREFIX PROGRAM: writes DIR/bin/NAME (NAME: PROGRAM's base name), a wrapper that runs
# PREFIX/PROGRAM through the loader and libraries of the libc6 unpacked in DIR, which is to become PREFIX: the
# whole closure, libc included, runs through the suite's own loader and bookworm's libc stays untouched.
# Returns 1 when DIR holds no x86-64 loader.
debian_wrapper() {
  local dir=$1 prefix=$2 program=$3 loader
  local libdirs="$prefix/usr/lib/x86_64-linux-gnu:$prefix/lib/x86_64-linux-gnu"
  # Newer suites ship the loader under usr/lib, older ones under lib.
  loader=$(cd "$dir" && ls usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 2>/dev/null | head -1)
  [ -n "$loader" ] || return 1
  mkdir -p "$dir/bin"
  cat > "$dir/bin/${program##*/}" <<WRAP
#!/bin/sh
exec "$prefix/$loader" --library-path "$libdirs" "$prefix/$program" "\$@"
WRAP
  chmod 755 "$dir/bin/${program##*/}"
}

# debian_relink DIR PREFIX FILE...: points each ELF FILE (paths inside DIR, which is to become PREFIX) at the loader
# and libraries unpacked in DIR, in the binary itself (patchelf: interpreter and DT_RPATH, which also serves the
# libraries' own dependencies). For programs that re-exec /proc/self/exe (podman does), where a loader wrapper
# would re-exec the loader. Static programs (no interpreter) are left as they are. Returns 1 when DIR holds no
# x86-64 loader or patchelf fails.
debian_relink() {
  local dir=$1 prefix=$2 loader f
  shift 2
  loader=$(cd "$dir" && ls usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 2>/dev/null | head -1)
  [ -n "$loader" ] || return 1
  for f in "$@"; do
    patchelf --print-interpreter "$dir/$f" > /dev/null 2>&1 || continue
    patchelf --set-interpreter "$prefix/$loader" --force-rpath \
      --set-rpath "$prefix/usr/lib/x86_64-linux-gnu:$prefix/lib/x86_64-linux-gnu" "$dir/$f" || return 1
  done
}
