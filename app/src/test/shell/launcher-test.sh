#!/usr/bin/env bash
# Tests of bin/berth and bin/lib/*.sh on fake JDKs and a fake checkout in a temp folder; run by
# dev.berth.app.LauncherTest as `launcher-test.sh CHECKOUT CASE` (each case is a function below).
# The fake `java` of a JDK that must not be started leaves a marker: finding a JDK starts no JVM.
set -euo pipefail
checkout="$1" case="$2"
T="$(mktemp -d)"
trap 'rm -rf "$T"' EXIT
. "$checkout/bin/lib/jdk.sh"
. "$checkout/bin/lib/jar.sh"

fail() { echo "FAIL: $*" >&2; exit 1; }
eq() { [ "$1" = "$2" ] || fail "expected '$2', got '$1'${3:+ ($3)}"; }
old() { touch -d '2 days ago' "$@"; }

# mkjdk DIR JAVA_VERSION [RUNTIME_VERSION] [nojavac]: a folder that looks like a JDK; its java only
# leaves a marker (or, with JAVA_ARGS set, records its arguments).
mkjdk() {
  mkdir -p "$1/bin"
  printf 'IMPLEMENTOR="Test"\nJAVA_RUNTIME_VERSION="%s"\nJAVA_VERSION="%s"\nOS_NAME="Linux"\n' "${3:-$2+1}" "$2" > "$1/release"
  cat > "$1/bin/java" <<'SH'
#!/bin/sh
if [ -n "${JAVA_ARGS:-}" ]; then printf '%s\n' "$@" > "$JAVA_ARGS"; exit 0; fi
touch "${JVM_STARTED:-/dev/null}"; exit 99
SH
  chmod +x "$1/bin/java"
  if [ "${4:-}" != nojavac ]; then cp "$1/bin/java" "$1/bin/javac"; fi
}

jvms() {
  export BERTH_JVM_DIR="$T/jvm" JVM_STARTED="$T/jvm-started"
  mkjdk "$T/jvm/jdk-17" 17.0.15
  mkjdk "$T/jvm/jdk-25" 25.0.1
  mkjdk "$T/jvm/jdk-25b" 25.0.10
  mkjdk "$T/jvm/jdk-25c" 25.0.9
  mkjdk "$T/jvm/jre-26" 26.0.1 "" nojavac
  ln -s "$T/jvm/jdk-25" "$T/jvm/zz-link-to-25"
}

case_picks_newest_jdk_25_without_starting_java() {
  jvms
  JAVA_HOME="$T/jvm/jdk-17" berth_find_jdk || fail "no JDK found"
  eq "$BERTH_JDK" "$T/jvm/jdk-25b" "newest >= 25 with javac; 25.0.10 > 25.0.9; a JRE does not count"
  unset JAVA_HOME
  berth_find_jdk && eq "$BERTH_JDK" "$T/jvm/jdk-25b"
  [ ! -e "$JVM_STARTED" ] || fail "a JVM was started to find the JDK"
}

case_java_home_25_wins() {
  jvms
  JAVA_HOME="$T/jvm/jdk-25/" berth_find_jdk && eq "$BERTH_JDK" "$T/jvm/jdk-25"
  JAVA_HOME="$T/jvm/jre-26" berth_find_jdk && eq "$BERTH_JDK" "$T/jvm/jdk-25b" "a JAVA_HOME without javac is passed over"
}

case_versions_read_from_release() {
  for v in 1.8.0_442:8:442 25:25:0 25-ea:25:0 25.0.3:25:3 26.1.2:26:100002 "25.0.3+9":25:3; do
    IFS=: read -r given feature update <<<"$v"
    mkjdk "$T/j" "$given"
    berth_jdk_version "$T/j" || fail "$given unreadable"
    eq "$BERTH_JDK_FEATURE $BERTH_JDK_UPDATE" "$feature $update" "$given"
  done
  printf 'IMPLEMENTOR="x"\n' > "$T/j/release"
  ! berth_jdk_version "$T/j" || fail "a release file without JAVA_VERSION was read"
  rm "$T/j/release"
  ! berth_jdk_version "$T/j" || fail "a folder without release file was read"
}

case_cache_is_used_and_invalidated() {
  jvms
  unset JAVA_HOME
  local cache="$T/target/.jdk"
  berth_find_jdk "$cache" && eq "$BERTH_JDK" "$T/jvm/jdk-25b"
  [ -f "$cache" ] || fail "no cache written"
  # A hit is taken as it is (no scan): point the cache at another JDK >= 25.
  { IFS= read -r key; } < "$cache"
  printf '%s\n%s\n' "$key" "$T/jvm/jdk-25" > "$cache"
  berth_find_jdk "$cache" && eq "$BERTH_JDK" "$T/jvm/jdk-25" "cache hit"
  # A JDK installed: the listing changed, so the folder is scanned again.
  mkjdk "$T/jvm/jdk-27" 27.0.1
  berth_find_jdk "$cache" && eq "$BERTH_JDK" "$T/jvm/jdk-27" "new JDK seen"
  berth_find_jdk "$cache" && eq "$BERTH_JDK" "$T/jvm/jdk-27"
  # The cached JDK replaced in place by an older one: its release file says so, scan again.
  mkjdk "$T/jvm/jdk-27" 17.0.2
  berth_find_jdk "$cache" && eq "$BERTH_JDK" "$T/jvm/jdk-25b" "replaced JDK seen"
  # A broken cache file is only a miss.
  printf 'garbage' > "$cache"
  berth_find_jdk "$cache" && eq "$BERTH_JDK" "$T/jvm/jdk-25b"
  # A cache that cannot be written is no error.
  berth_find_jdk "/proc/no/such/.jdk" && eq "$BERTH_JDK" "$T/jvm/jdk-25b"
  [ ! -e "$JVM_STARTED" ] || fail "a JVM was started"
}

case_no_jdk_says_what_to_install() {
  jvms
  rm -rf "$T/jvm/jdk-25" "$T/jvm/jdk-25b" "$T/jvm/jdk-25c" "$T/jvm/zz-link-to-25"
  ! JAVA_HOME="$T/jvm/jdk-17" berth_find_jdk || fail "found $BERTH_JDK"
  local out rc=0
  out=$(JAVA_HOME="$T/jvm/jdk-17" PATH=/usr/bin:/bin bash "$checkout/bin/berth" version 2>&1) || rc=$?
  eq "$rc" 1 "bin/berth exit code"
  for words in "no JDK >= 25 found" "JAVA_HOME=$T/jvm/jdk-17 is not usable (Java 17)" "Temurin 25" \
               "Debian 12 has no openjdk-25 package" "https://packages.adoptium.net/artifactory/deb" \
               "apt-get install temurin-25-jdk" "set JAVA_HOME"; do
    [[ $out == *"$words"* ]] || fail "the message lacks '$words': $out"
  done
}

# A checkout with modules core and app (and bench, which the jar is not built from), all older than
# the jar.
mkco() {
  co="$T/co"
  mkdir -p "$co"/{core,app,bench}/src/{main/java,main/resources,test/java} "$co/app/target"
  printf '<project>\n  <modules>\n    <module>core</module>\n    <module>app</module>\n    <module>bench</module>\n  </modules>\n</project>\n' > "$co/pom.xml"
  for m in core app bench; do
    echo "<project/>" > "$co/$m/pom.xml"
    echo "class A {}" > "$co/$m/src/main/java/A.java"
    echo "x" > "$co/$m/src/main/resources/r.txt"
    echo "class T {}" > "$co/$m/src/test/java/T.java"
  done
  echo "h" > "$co/core/src/main/resources/.hidden"
  cp -r "$checkout/bin" "$co/bin"
  find "$co" -exec touch -d '2 days ago' {} +
  # A minute ago, not now: file times tick in jiffies, and an edit in the same tick would not be newer.
  touch -d '1 minute ago' "$co/app/target/berth.jar"
}

fresh() { ! berth_jar_stale "$co" || fail "stale although nothing changed${1:+ after $1}"; }
stale() { berth_jar_stale "$co" || fail "not stale after $1"; }

case_stale_when_a_main_source_resource_or_pom_changes() {
  mkco
  fresh
  for f in core/src/main/java/A.java app/src/main/java/A.java core/src/main/resources/r.txt \
           core/src/main/resources/.hidden core/pom.xml app/pom.xml pom.xml; do
    echo "// edit" >> "$co/$f"
    stale "editing $f"
    old "$co/$f"
    fresh "$f set back"
  done
  mkdir "$co/core/src/main/java/pkg"
  stale "a new package"
  rm -r "$co/core/src/main/java/pkg"; old "$co/core/src/main/java"
  rm "$co/app/src/main/resources/r.txt"
  stale "deleting a resource"
  old "$co/app/src/main/resources"
  echo "y" > "$co/app/src/main/resources/new.txt"; old "$co/app/src/main/resources/new.txt"
  stale "adding a resource with an old time"
  old "$co/app/src/main/resources"
  fresh
}

case_not_stale_for_tests_bench_or_target() {
  mkco
  for f in core/src/test/java/T.java bench/src/main/java/A.java bench/pom.xml app/target/other; do
    echo "// edit" >> "$co/$f"
    fresh "editing $f"
  done
}

case_stale_when_edited_during_the_build_or_no_jar() {
  mkco
  touch -d '1 hour ago' "$co/app/target/.build-start"
  touch -d '30 minutes ago' "$co/core/src/main/java/A.java"
  stale "an edit made after the build started (the jar is newer)"
  rm "$co/app/target/berth.jar"
  stale "the jar removed"
}

# bin/berth itself, on the fake checkout with a fake JDK (its java records the arguments) and a fake
# mvn (it records that it ran and "builds" the jar and the AOT cache).
launcher() {
  mkco
  export BERTH_JVM_DIR="$T/jvm" JAVA_ARGS="$T/java-args"
  mkjdk "$T/jvm/jdk-25" 25.0.3 25.0.3+9-LTS
  unset JAVA_HOME
  mkdir -p "$T/path"
  cat > "$T/path/mvn" <<SH
#!/bin/sh
echo "\$@" > "$T/mvn-args"
touch -d '1 second ago' "$co/app/target/berth.jar"
SH
  chmod +x "$T/path/mvn"
  export PATH="$T/path:/usr/bin:/bin"
  jar="$co/app/target/berth.jar" aot="$co/app/target/berth.aot"
}
run_berth() { rm -f "$JAVA_ARGS"; bash "$co/bin/berth" "$@" 2>"$T/berth-err" || fail "bin/berth failed: $(cat "$T/berth-err")"; }
uses_aot() { grep -qx -- "-XX:AOTCache=$aot" "$JAVA_ARGS"; }

case_launcher_runs_the_jar_with_the_aot_cache_only_when_it_fits() {
  launcher
  run_berth volume ls --socket "/tmp/a b"
  [ ! -e "$T/mvn-args" ] || fail "built although the jar is fresh"
  eq "$(tail -n 6 "$JAVA_ARGS" | tr '\n' '|')" "-jar|$jar|volume|ls|--socket|/tmp/a b|" "arguments passed through"
  ! uses_aot || fail "AOT cache used although there is none"
  grep -qx -- "-XX:TieredStopAtLevel=1" "$JAVA_ARGS" || fail "JVM flags missing"
  [ "$(cat "$co/app/target/.jdk" | tail -n 1)" = "$T/jvm/jdk-25" ] || fail "JDK not cached"

  echo x > "$aot"; printf '%s\n%s\n' "$T/jvm/jdk-25" "25.0.3+9-LTS" > "$aot.jdk"
  run_berth volume ls
  uses_aot || fail "a fitting AOT cache was not used: $(cat "$JAVA_ARGS")"
  grep -qx -- "-Xlog:aot=off" "$JAVA_ARGS" || fail "the JVM's own check of the cache is not kept quiet"
  for printing in version --help -h ""; do
    run_berth $printing
    ! uses_aot || fail "AOT cache used for '$printing' (it only prints: the cache costs more than it saves)"
  done
  vaot="$co/app/target/berth-version.aot"
  run_berth version
  ! grep -q -- "-XX:AOTCache=" "$JAVA_ARGS" || fail "an AOT cache used for version although it has none of its own"
  echo x > "$vaot"
  run_berth version
  grep -qx -- "-XX:AOTCache=$vaot" "$JAVA_ARGS" || fail "the version cache was not used for version: $(cat "$JAVA_ARGS")"
  run_berth version --help
  ! grep -q -- "-XX:AOTCache=" "$JAVA_ARGS" || fail "the version cache used for 'version --help'"
  run_berth volume ls
  ! grep -q -- "-XX:AOTCache=$vaot" "$JAVA_ARGS" || fail "the version cache used for volume ls"
  ! grep -qx -- "-Xmx1g" "$JAVA_ARGS" || fail "the daemon's heap bound given to a CLI command"
  run_berth serve --config /nowhere
  grep -qx -- "-Xms8m" "$JAVA_ARGS" && grep -qx -- "-Xmx1g" "$JAVA_ARGS" || fail "serve runs without its heap flags"
  ! grep -q -- "-XX:AOTCache=" "$JAVA_ARGS" || fail "serve given a cache that was not made for it: $(cat "$JAVA_ARGS")"
  saot="$co/app/target/berth-serve.aot"
  echo x > "$saot"
  run_berth serve --config /nowhere
  grep -qx -- "-XX:AOTCache=$saot" "$JAVA_ARGS" || fail "the daemon's cache was not used for serve: $(cat "$JAVA_ARGS")"
  run_berth volume ls
  grep -qx -- "-XX:AOTCache=$aot" "$JAVA_ARGS" || fail "the CLI cache not used for volume ls next to a serve cache"
  rm "$saot"
  rm "$vaot"

  printf '%s\n%s\n' "$T/jvm/jdk-25" "25.0.2+1-LTS" > "$aot.jdk"
  run_berth volume ls
  ! uses_aot || fail "AOT cache of another JDK build used"
  printf '%s\n%s\n' "$T/jvm/jdk-other" "25.0.3+9-LTS" > "$aot.jdk"
  run_berth volume ls
  ! uses_aot || fail "AOT cache of another JDK folder used"
  printf '%s\n%s\n' "$T/jvm/jdk-25" "25.0.3+9-LTS" > "$aot.jdk"
  touch -d '2 minutes ago' "$aot"
  run_berth volume ls
  ! uses_aot || fail "AOT cache older than the jar used"
  touch "$aot"; run_berth volume ls; uses_aot || fail "AOT cache not used again"
  rm "$aot.jdk"
  run_berth volume ls
  ! uses_aot || fail "AOT cache without its JDK record used"
}

case_launcher_rebuilds_after_an_edit() {
  launcher
  echo "// edit" >> "$co/core/src/main/java/A.java"
  run_berth version
  [ -e "$T/mvn-args" ] || fail "not rebuilt after an edit"
  grep -q -- "-pl app -am package" "$T/mvn-args" || fail "unexpected build: $(cat "$T/mvn-args")"
  [ -f "$co/app/target/.build-start" ] || fail "no build stamp"
  [ -s "$JAVA_ARGS" ] || fail "not run after the build"
  rm "$T/mvn-args"
  run_berth version
  [ ! -e "$T/mvn-args" ] || fail "rebuilt again without an edit"
}

"case_$case"
echo "ok: $case"
