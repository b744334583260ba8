// Package runbooktest helps test runbook scripts for real without a real machine: stand-ins for the
// commands the built-in runbooks call through variables (systemctl, nft, psql and friends), and a snapshot
// of a directory tree that proves a dry run or a second run changed nothing.
package runbooktest

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// FakeSystemctl is a systemctl that keeps unit state as files UNIT.active under $FAKE_SYSTEMD and logs
// every call to $FAKE_CALLS.
const FakeSystemctl = `d=${FAKE_SYSTEMD:?}
echo "$*" >>"${FAKE_CALLS:?}"
quiet=0 args=()
for a in "$@"; do
  case $a in --quiet) quiet=1 ;; --*) ;; *) args+=("$a") ;; esac
done
cmd=${args[0]} unit=${args[1]:-}
unit=${unit%.service}
case $cmd in
is-active)
  if [[ -f $d/$unit.active ]]; then ((quiet)) || echo active; exit 0; fi
  ((quiet)) || echo inactive
  exit 3 ;;
restart | start | enable) touch "$d/$unit.active" ;;
stop | disable) rm -f "$d/$unit.active" ;;
list-units)
  for f in "$d"/*.active; do
    [[ -e $f ]] || continue
    u=$(basename "$f" .active)
    # shellcheck disable=SC2053
    [[ $u == $unit ]] && echo "$u.service loaded active running $u"
  done
  exit 0 ;;
*) echo "fake systemctl: $cmd unsupported" >&2; exit 1 ;;
esac
`

// FakeNft keeps each table's ruleset as a file under $FAKE_NFT; -c checks the input without applying it.
const FakeNft = `d=${FAKE_NFT:?}
echo "nft $*" >>"${FAKE_CALLS:?}"
case "$*" in
"list table inet "*) t=${!#}; [[ -f $d/$t ]] || { echo "Error: No such file or directory" >&2; exit 1; }; cat "$d/$t" ;;
"-c -f -") grep -q '^table inet [a-z_]* {$' ;;
"-f -")
  rules=$(cat)
  t=$(sed -n 's/^table inet \([a-z_]*\) {$/\1/p' <<<"$rules")
  [[ -n $t && ! -e $d/$t ]] || { echo "Error: table exists or no table" >&2; exit 1; }
  printf '%s\n' "$rules" >"$d/$t" ;;
"delete table inet "*) t=${!#}; rm "$d/$t" ;;
*) echo "fake nft: $* unsupported" >&2; exit 1 ;;
esac
`

// FakePostgres is psql, createdb and pg_restore in one: each database is a directory under $FAKE_PG holding
// a "tables" file; a dump is a text file of table names.
const FakePostgres = `d=${FAKE_PG:?}
echo "$(basename "$0") $*" >>"${FAKE_CALLS:?}"
case $(basename "$0") in
createdb) db=${!#}; mkdir "$d/$db" ;;
pg_restore)
  file=${!#}
  [[ -f $file ]] || { echo "pg_restore: could not open $file" >&2; exit 1; }
  if [[ $1 == --list ]]; then cat "$file"; exit 0; fi
  while (($#)); do [[ $1 == -d ]] && db=$2; shift; done
  cp "$file" "$d/$db/tables" ;;
psql)
  db="" sql=""
  while (($#)); do case $1 in -d) db=$2; shift ;; -c | -tAc) sql=$2; shift ;; esac; shift; done
  if [[ $sql =~ datname\ =\ \'(.*)\' ]]; then [[ -d $d/${BASH_REMATCH[1]} ]] && echo 1; exit 0; fi
  if [[ $sql =~ ^ALTER\ DATABASE\ \"(.*)\"\ RENAME\ TO\ \"(.*)\"$ ]]; then mv "$d/${BASH_REMATCH[1]}" "$d/${BASH_REMATCH[2]}"; exit 0; fi
  if [[ $sql =~ ^DROP\ DATABASE\ IF\ EXISTS\ \"(.*)\"$ ]]; then rm -rf "${d:?}/${BASH_REMATCH[1]}"; exit 0; fi
  [[ -f $d/$db/tables ]] || { echo "psql: database $db has no tables" >&2; exit 2; }
  wc -l <"$d/$db/tables" ;;
esac
`

// Snapshot describes every file, link and directory under dir (type, mode, content hash, link target and
// file modification time; directory modification times too when dirTimes), so any change shows up as a
// difference between two snapshots.
func Snapshot(t testing.TB, dir string, dirTimes bool) map[string]string {
	t.Helper()
	snap := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			snap[rel] = "link " + target
		case d.IsDir() && dirTimes:
			snap[rel] = fmt.Sprintf("dir %v %d", info.Mode(), info.ModTime().UnixNano())
		case d.IsDir():
			snap[rel] = fmt.Sprintf("dir %v", info.Mode())
		default:
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			snap[rel] = fmt.Sprintf("file %v %x %d", info.Mode(), sha256.Sum256(data), info.ModTime().UnixNano())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// Diff lists what differs between two snapshots: "removed P", "changed P", "added P".
func Diff(before, after map[string]string) []string {
	var diffs []string
	for _, k := range slices.Sorted(maps.Keys(before)) {
		if a, ok := after[k]; !ok {
			diffs = append(diffs, "removed "+k)
		} else if a != before[k] {
			diffs = append(diffs, "changed "+k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(after)) {
		if _, ok := before[k]; !ok {
			diffs = append(diffs, "added "+k)
		}
	}
	return diffs
}
