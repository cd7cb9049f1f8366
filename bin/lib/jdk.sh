# Finds a JDK >= 25 without starting a JVM. Sourced by bin/berth, .ci/run and bench/run.
# Order: $JAVA_HOME if it is >= 25, else the newest JDK >= 25 under $BERTH_JVM_DIR (/usr/lib/jvm).
# Only bash builtins run on the usual path (a process start costs 2-8 ms on these machines).

BERTH_JDK_MIN=25
BERTH_JVM_DIR="${BERTH_JVM_DIR:-/usr/lib/jvm}"

# Sets BERTH_JDK_FEATURE and BERTH_JDK_UPDATE (interim and update as one number) for the JDK at $1,
# read from its release file (JAVA_VERSION="25.0.3"; "1.8.0_442" is 8), and BERTH_JDK_RUNTIME to its
# JAVA_RUNTIME_VERSION (25.0.3+9-LTS, what Runtime.version() says); fails when there is none.
# Results go to variables, not stdout: a $(...) would fork.
berth_jdk_version() {
  local line v="" f i u
  BERTH_JDK_FEATURE=0 BERTH_JDK_UPDATE=0 BERTH_JDK_RUNTIME=""
  [ -r "$1/release" ] || return 1
  while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in
      JAVA_VERSION=*) v=${line#JAVA_VERSION=}; v=${v//\"/} ;;
      JAVA_RUNTIME_VERSION=*) BERTH_JDK_RUNTIME=${line#JAVA_RUNTIME_VERSION=}; BERTH_JDK_RUNTIME=${BERTH_JDK_RUNTIME//\"/} ;;
    esac
  done < "$1/release"
  case "$v" in 1.*) v=${v#1.} ;; esac
  f=${v%%[!0-9]*}
  [ -n "$f" ] || return 1
  v=${v#"$f"}; v=${v#[._]}; i=${v%%[!0-9]*}; v=${v#"$i"}; v=${v#[._]}; u=${v%%[!0-9]*}
  BERTH_JDK_FEATURE=$((10#$f)) BERTH_JDK_UPDATE=$(( 10#${i:-0} * 100000 + 10#${u:-0} ))
}

# True if $1 is a JDK (java and javac: bin/berth builds with Maven) of version >= BERTH_JDK_MIN.
berth_jdk_ok() {
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] && berth_jdk_version "$1" && [ "$BERTH_JDK_FEATURE" -ge "$BERTH_JDK_MIN" ]
}

# Sets BERTH_JDK to the newest JDK >= BERTH_JDK_MIN under BERTH_JVM_DIR (symlinks are other names
# of the same JDKs); fails if there is none.
berth_scan_jdks() {
  local best="" best_f=0 best_u=-1 home
  for home in "$BERTH_JVM_DIR"/*; do
    [ -d "$home" ] && [ ! -L "$home" ] && berth_jdk_ok "$home" || continue
    if [ "$BERTH_JDK_FEATURE" -gt "$best_f" ] || { [ "$BERTH_JDK_FEATURE" -eq "$best_f" ] && [ "$BERTH_JDK_UPDATE" -gt "$best_u" ]; }; then
      best="$home" best_f=$BERTH_JDK_FEATURE best_u=$BERTH_JDK_UPDATE
    fi
  done
  BERTH_JDK="$best"
  [ -n "$best" ]
}

# Sets BERTH_JDK to the JDK to use, or fails. With a cache file ($1, optional) the scan's answer is
# kept there, keyed by the listing of BERTH_JVM_DIR (installing or removing a JDK changes it); a hit
# is used only while its release file still says >= BERTH_JDK_MIN, so a JDK upgraded or replaced in
# place is seen at once. No JVM is started, and on a cache hit no JDK folder but one is looked at.
berth_find_jdk() {
  local cache="${1:-}" listing entry key="" jdk=""
  BERTH_JDK=""
  if [ -n "${JAVA_HOME:-}" ] && berth_jdk_ok "$JAVA_HOME"; then
    BERTH_JDK="${JAVA_HOME%/}"; return 0
  fi
  listing="$BERTH_JVM_DIR:"
  for entry in "$BERTH_JVM_DIR"/*; do listing+=" ${entry##*/}"; done
  if [ -n "$cache" ] && [ -r "$cache" ]; then
    { IFS= read -r key; IFS= read -r jdk; } < "$cache" || true
    if [ "$key" = "$listing" ] && [ -n "$jdk" ] && berth_jdk_ok "$jdk"; then
      BERTH_JDK="$jdk"; return 0
    fi
  fi
  berth_scan_jdks || return 1
  if [ -n "$cache" ]; then
    # Best effort (a read-only checkout only goes without the cache); written whole, then renamed.
    { mkdir -p "${cache%/*}" && printf '%s\n%s\n' "$listing" "$BERTH_JDK" > "$cache.$$" && mv -f "$cache.$$" "$cache"; } 2>/dev/null \
      || rm -f "$cache.$$" 2>/dev/null || true
  fi
  return 0
}

# What to tell a user who has no JDK >= 25 (Debian 12 has no openjdk-25 package).
berth_no_jdk_help() {
  local who="$1" v
  echo "$who: no JDK >= $BERTH_JDK_MIN found (checked \$JAVA_HOME and $BERTH_JVM_DIR)." >&2
  if [ -n "${JAVA_HOME:-}" ]; then
    if ! berth_jdk_version "$JAVA_HOME"; then v="it has no release file"
    elif [ "$BERTH_JDK_FEATURE" -lt "$BERTH_JDK_MIN" ]; then v="Java $BERTH_JDK_FEATURE"
    else v="Java $BERTH_JDK_FEATURE, but no bin/java and bin/javac: not a JDK"; fi
    echo "$who: JAVA_HOME=$JAVA_HOME is not usable ($v)." >&2
  fi
  cat >&2 <<EOF
hint: install a JDK $BERTH_JDK_MIN, e.g. Temurin $BERTH_JDK_MIN (Debian 12 has no openjdk-$BERTH_JDK_MIN package):
  add Adoptium's apt repository https://packages.adoptium.net/artifactory/deb (the steps are on
  https://adoptium.net/installation/linux/), then: apt-get install temurin-$BERTH_JDK_MIN-jdk
  or unpack a JDK $BERTH_JDK_MIN or newer from https://adoptium.net and set JAVA_HOME to its folder.
EOF
}
