# Whether bin/berth must rebuild app/target/berth.jar. Sourced by bin/berth (and its test).
# Costs a few ms: bash builtins only (mapfile, globbing, [[ -nt ]]), no find, no process start.

# True (0) if the jar under $1 (the checkout) is missing or older than anything it is built from:
# a pom.xml of the reactor, or any file or folder below a module's src/main (sources, resources;
# a folder's time changes when a file in it is added, removed or renamed, so deletions count).
# The reference time is the build's start ($target/.build-start, touched by bin/berth before Maven
# runs) when there is one, so an edit made while Maven was compiling still counts; else the jar's.
# Modules are read from the root pom; bench is left out (it is built from the app, not into it).
berth_jar_stale() {
  local root="$1" target="$1/app/target" ref line module f opt stale=1
  [[ -f $target/berth.jar ]] || return 0
  ref="$target/berth.jar"
  [[ -f $target/.build-start ]] && ref="$target/.build-start"
  [[ $root/pom.xml -nt $ref ]] && return 0
  local -a lines=() modules=() restore=()
  mapfile -t lines < "$root/pom.xml"
  for line in "${lines[@]}"; do
    if [[ $line == *"<module>"*"</module>"* ]]; then
      module=${line#*<module>}; module=${module%%</module>*}
      [[ $module == bench ]] || modules+=("$module")
    fi
  done
  for opt in globstar dotglob nullglob; do shopt -q "$opt" || restore+=("$opt"); done
  shopt -s globstar dotglob nullglob
  for module in "${modules[@]}"; do
    if [[ $root/$module/pom.xml -nt $ref ]]; then stale=0; break; fi
    for f in "$root/$module/src/main" "$root/$module"/src/main/**; do
      if [[ $f -nt $ref ]]; then stale=0; break 2; fi
    done
  done
  [[ ${#restore[@]} -eq 0 ]] || shopt -u "${restore[@]}"
  return $stale
}
