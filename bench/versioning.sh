#!/usr/bin/env bash
# Data versioning benchmark, with the reference tools measured in the same run:
#   1. version a 1 GiB file: mlops data add (hardlink and copy) vs sha256sum, b3sum --num-threads 1 and git lfs (git add);
#   2. status of 100,000 unchanged small files (after a first add), and that first add's use of both cores.
# Usage: bench/versioning.sh [runs]   (median of runs, default 3; the page cache is warm for every tool alike)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}

need=()
for tool in sha256sum b3sum git-lfs; do command -v "$tool" >/dev/null || need+=("$tool"); done
if [ ${#need[@]} -gt 0 ]; then apt-get update -qq && apt-get install -y -qq coreutils b3sum git-lfs >/dev/null; fi

dotnet build actions/Mlops.Cli/Mlops.Cli.csproj -c Release -nologo -v quiet >/dev/null
mlops="$PWD/actions/Mlops.Cli/bin/Release/net10.0/mlops.dll"
work=$(mktemp -d /tmp/mlops-bench-XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"
git init -q repo && cd repo
git config user.email bench@example.com && git config user.name bench

echo "making a 1 GiB file and 100,000 small files in $work ..."
head -c 1073741824 /dev/urandom > big.bin
mkdir -p many
for d in $(seq -w 0 99); do
  mkdir -p "many/$d"
  for f in $(seq -w 0 999); do printf 'row %s-%s\n' "$d" "$f" > "many/$d/$f.txt"; done
done
cat big.bin > /dev/null   # warm the page cache for everyone

# median wall seconds of $runs runs of "$2", with "$1" run (untimed) before each
median() {
  local prepare=$1 command=$2 times=()
  for _ in $(seq "$runs"); do
    eval "$prepare"
    local start end
    start=$(date +%s.%N); eval "$command" >/dev/null 2>&1; end=$(date +%s.%N)
    times+=("$(echo "$end - $start" | bc -l)")
  done
  printf '%s\n' "${times[@]}" | sort -g | awk '{ a[NR] = $1 } END { printf "%.3f", a[int((NR + 1) / 2)] }'
}
reset_cache='rm -rf .mlops big.bin.mlops .gitignore; chmod u+w big.bin'
reset_lfs='git rm -q --cached big.bin >/dev/null 2>&1 || true; rm -rf .git/lfs/objects'

sha=$(median ':' 'sha256sum big.bin')
b3=$(median ':' 'b3sum --num-threads 1 big.bin')
git lfs install --local >/dev/null; git lfs track '*.bin' >/dev/null; git add .gitattributes
lfs=$(median "$reset_lfs" 'git add big.bin')
git rm -q --cached big.bin >/dev/null 2>&1 || true
hard=$(median "$reset_cache" "dotnet $mlops data add big.bin --link hardlink")
copy=$(median "$reset_cache" "dotnet $mlops data add big.bin --link copy")

# 100,000 files: a first add (cold state, both cores hashing), then status with nothing changed.
rm -rf .mlops
TIMEFORMAT='%R %U %S'
first=$( { time dotnet "$mlops" data add many >/dev/null; } 2>&1 )
read -r add_wall add_user add_sys <<< "$first"
status=$(median ':' "dotnet $mlops data status many")
noop=$(median ':' "dotnet $mlops --help")

ratio() { echo "$1 / $2" | bc -l | awk '{ printf "%.2f", $1 }'; }
echo
echo "| 1 GiB file | seconds | vs sha256sum | vs b3sum -1 | vs git lfs add | target |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
echo "| sha256sum | $sha | 1.00 | $(ratio "$sha" "$b3") | $(ratio "$sha" "$lfs") | |"
echo "| b3sum --num-threads 1 | $b3 | $(ratio "$b3" "$sha") | 1.00 | $(ratio "$b3" "$lfs") | |"
echo "| git lfs: git add | $lfs | $(ratio "$lfs" "$sha") | $(ratio "$lfs" "$b3") | 1.00 | |"
echo "| mlops data add --link hardlink | $hard | $(ratio "$hard" "$sha") | $(ratio "$hard" "$b3") | $(ratio "$hard" "$lfs") | 1.0 |"
echo "| mlops data add --link copy | $copy | $(ratio "$copy" "$sha") | $(ratio "$copy" "$b3") | $(ratio "$copy" "$lfs") | 2.0 |"
echo
echo "| 100,000 small files | seconds | note |"
echo "| --- | ---: | --- |"
echo "| mlops data add (first, cold state) | $add_wall | CPU $(echo "($add_user + $add_sys) / $add_wall * 100" | bc -l | awk '{ printf "%.0f", $1 }')% of one core (2 cores: up to 200%) |"
echo "| mlops data status (unchanged) | $status | target 1.0 |"
echo "| mlops --help (process start-up alone) | $noop | included in every mlops figure |"
