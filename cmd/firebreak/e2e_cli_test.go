package main

// End-to-end tests of the command line's self-description (issue 14): every command documented and its
// help reachable three ways, the help of run kept as a golden file, and shell completion of every dynamic
// kind, through the real binary.

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// Every command has Short and Long, every flag a usage line; `CMD --help`, `CMD -h` and `help CMD` exit 0
// with the command's usage on stdout and nothing on stderr.
func TestE2ECommandTreeDocumented(t *testing.T) {
	t.Parallel()
	e := newEnv(t).with("FIREBREAK_DB", "/nonexistent/dir/fb.db") // help needs no database
	root := newRootCmd(&app{})
	n := 0
	walk(root, func(cmd *cobra.Command) {
		path := strings.Fields(cmd.CommandPath())[1:]
		name := strings.Join(path, " ")
		n++
		if cmd.Short == "" || cmd.Long == "" {
			t.Errorf("%q: Short %q, Long %q: both are needed", cmd.CommandPath(), cmd.Short, cmd.Long)
		}
		cmd.InitDefaultHelpFlag()
		cmd.Flags().VisitAll(func(f *pflag.Flag) {
			if strings.TrimSpace(f.Usage) == "" {
				t.Errorf("%q: flag --%s has no usage line", cmd.CommandPath(), f.Name)
			}
		})
		if cmd.Hidden {
			return
		}
		t.Run(strings.ReplaceAll(name, " ", "_"), func(t *testing.T) {
			t.Parallel()
			e := &fbEnv{t: t, root: e.root, work: e.work, db: e.db, vars: e.vars}
			for _, args := range [][]string{append(slices.Clone(path), "--help"), append(slices.Clone(path), "-h"), append([]string{"help"}, path...)} {
				stdout, stderr, code := e.fb(args...)
				if code != 0 || stderr != "" || !strings.Contains(stdout, "Usage:") || !strings.Contains(stdout, cmd.Long[:20]) {
					t.Errorf("firebreak %q: exit %d, stderr %q, stdout %q; want exit 0 and the command's help", args, code, stderr, stdout)
				}
			}
		})
	})
	if n < 40 {
		t.Errorf("walked %d commands, want the whole tree", n)
	}
}

// The help of run is kept in testdata/help-run.golden (go test -run HelpRunGolden -update rewrites it).
func TestE2EHelpRunGolden(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	got := e.ok("help", "run")
	golden := filepath.Join("testdata", "help-run.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (go test -run TestE2EHelpRunGolden -update writes it)", err)
	}
	if got != string(want) {
		t.Errorf("help run differs from %s (rerun with -update if the change is meant):\n%s", golden, got)
	}
	if again := e.ok("run", "--help"); again != got {
		t.Errorf("run --help differs from help run")
	}
}

// Usage errors cobra itself would report keep the contract: exit 2 and one "firebreak: " line.
func TestE2ECobraUsageErrorsExit2(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, args := range [][]string{
		{"run", "INC-1", "--concurrency", "many"},
		{"help", "frobnicate"},
		{"runbook", "frob"},
		{"retro"},
		{"completion", "tcsh"},
		{"version", "extra"},
	} {
		stdout, stderr, code := e.fb(args...)
		wantError(t, strings.Join(args, " "), stdout, stderr, code, 2)
	}
}

// A note's text may start with dashes; relative times stay arguments.
func TestE2EDashedArguments(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.declare("x")
	e.ok("note", id, "---separator---")
	e.ok("note", id, "-- not a flag", "--db", e.db)
	e.ok("milestone", id, "detected", "-25m")
	evs := e.timeline(id)
	if got := evs[1].Text; got != "---separator---" {
		t.Errorf("note text %q", got)
	}
}

// complete runs the completion request firebreak __complete ARGS... and returns the candidates' values.
func (e *fbEnv) complete(args ...string) []string {
	e.t.Helper()
	stdout, stderr, code := e.fb(append([]string{"__complete"}, args...)...)
	if code != 0 {
		e.t.Fatalf("__complete %q: exit %d stderr %q", args, code, stderr)
	}
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		if strings.HasPrefix(line, ":") || line == "" {
			continue
		}
		value, _, _ := strings.Cut(line, "\t")
		out = append(out, value)
	}
	return out
}

func TestE2ECompletion(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, b, c := e.declare("first"), e.declare("second"), e.declare("third")
	e.ok("role", b, "commander", "alice")
	e.ok("status", b, "identified")
	e.ok("status", b, "resolved")
	e.ok("attach", a, "free-disk")
	inv := filepath.Join(e.root, "hosts.ini")
	mustWriteFile(t, inv, []byte("[web]\nweb1 ansible_connection=local\nweb2 ansible_connection=local\n[db]\ndb1 ansible_connection=local\n"))
	e.ok("run", a, "--command", "true", "--hosts", "web1", "-i", inv, "--dry-run", "--yes")
	var show struct {
		Steps []struct {
			ID     string `json:"id"`
			Script string `json:"script"`
		} `json:"steps"`
	}
	if err := json.Unmarshal([]byte(e.ok("runbook", "show", "free-disk", "--json")), &show); err != nil {
		t.Fatal(err)
	}
	var allSteps, scriptSteps []string
	for _, s := range show.Steps {
		allSteps = append(allSteps, s.ID)
		if s.Script != "" {
			scriptSteps = append(scriptSteps, s.ID)
		}
	}

	cases := []struct {
		name string
		args []string
		want []string // in this order (nil: exactly nothing)
		all  bool     // want is the whole answer, not a prefix of it
	}{
		{"incidents, open first", []string{"show", ""}, []string{a, c, b}, true}, // a is the most recently active (its run)
		{"incident prefix", []string{"note", "INC-3"}, []string{c}, true},
		{"runs", []string{"approve", ""}, []string{"RUN-1"}, true},
		{"run ids for --retry", []string{"run", a, "--retry", ""}, []string{"RUN-1"}, true},
		{"incidents and runs", []string{"runs", ""}, []string{a, c, b, "RUN-1"}, true},
		{"run hosts", []string{"log", "RUN-1", ""}, []string{"web1"}, true},
		{"runbooks", []string{"runbook", "show", "free"}, []string{"free-disk"}, true},
		{"runbooks for attach", []string{"attach", a, "free-d"}, []string{"free-disk"}, true},
		{"steps of --runbook", []string{"run", a, "--runbook", "free-disk", "--step", ""}, scriptSteps, true},
		{"checklists", []string{"tick", a, ""}, []string{"free-disk"}, true},
		{"checklist steps", []string{"tick", a, "free-disk", ""}, allSteps, true},
		{"sections", []string{"retro", "set", a, "im"}, []string{"impact"}, true},
		{"host groups and names", []string{"run", a, "-i", inv, "--hosts", ""}, []string{"db", "web", "web1", "web2", "db1"}, false},
		{"hosts pattern", []string{"hosts", "-i", inv, "web"}, []string{"web", "web1", "web2"}, true},
		{"statuses", []string{"status", a, "m"}, []string{"mitigating", "monitoring"}, true},
		{"roles", []string{"role", a, ""}, []string{"commander", "communications", "operations", "scribe"}, true},
		{"severities", []string{"sev", a, ""}, []string{"1", "2", "3", "4"}, true},
		{"--sev", []string{"declare", "--sev", ""}, []string{"1", "2", "3", "4"}, true},
		{"milestones", []string{"milestone", a, "d"}, []string{"detected"}, true},
		{"retro states", []string{"retro", "state", a, "p"}, []string{"published"}, true},
		{"export --format", []string{"export", a, "--format", ""}, []string{"md", "json"}, true},
		{"commands", []string{"runb"}, []string{"runbook"}, true},
		{"nothing after the last argument", []string{"show", a, ""}, nil, true},
		{"unknown incident: no steps", []string{"tick", "INC-99", "free-disk", ""}, nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := &fbEnv{t: t, root: e.root, work: e.work, db: e.db, vars: e.vars}
			got := e.complete(tc.args...)
			if tc.all && !slices.Equal(got, tc.want) || !tc.all && (len(got) < len(tc.want) || !sameSet(got, tc.want)) {
				t.Errorf("__complete %q = %q, want %q", tc.args, got, tc.want)
			}
		})
	}
	// A broken database offers nothing and says nothing: completion never prints into the shell.
	bad := e.with("FIREBREAK_DB", filepath.Join(e.root, "no", "such.db"))
	if got := bad.complete("show", ""); len(got) != 0 {
		t.Errorf("with no database: %q", got)
	}
}

func sameSet(got, want []string) bool {
	for _, w := range want {
		if !slices.Contains(got, w) {
			return false
		}
	}
	return true
}

// The JSON outputs added for issue 14 parse and carry their documented fields.
func TestE2EJSONOutputs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.declare("x")
	inv := filepath.Join(e.root, "hosts.ini")
	mustWriteFile(t, inv, []byte("[web]\nweb1 ansible_connection=local\n"))
	e.ok("run", a, "--command", "true", "--hosts", "web1", "-i", inv, "--dry-run", "--yes")
	var runs []map[string]any
	mustJSON(t, e.ok("runs", "--json"), &runs)
	if len(runs) != 1 || runs[0]["id"] != "RUN-1" || runs[0]["incident"] != a || runs[0]["dry_run"] != true {
		t.Errorf("runs --json = %v", runs)
	}
	var run map[string]any
	mustJSON(t, e.ok("runs", "RUN-1", "--json"), &run)
	if hosts, _ := run["hosts"].([]any); len(hosts) != 1 || hosts[0].(map[string]any)["host"] != "web1" {
		t.Errorf("runs RUN-1 --json = %v", run)
	}
	var hosts []map[string]any
	mustJSON(t, e.ok("hosts", "web", "-i", inv, "--json"), &hosts)
	if len(hosts) != 1 || hosts[0]["name"] != "web1" || hosts[0]["connection"] != "local" {
		t.Errorf("hosts --json = %v", hosts)
	}
	// What firebreak will connect to, secrets masked.
	inv2 := filepath.Join(e.root, "ssh.ini")
	mustWriteFile(t, inv2, []byte("[db]\ndb1 ansible_host=127.0.0.9 ansible_port=2202 ansible_user=deploy API_TOKEN=s3cr3t-t0ken\n"))
	hosts = nil
	out := e.ok("hosts", "db1", "-i", inv2, "--json")
	mustJSON(t, out, &hosts)
	if len(hosts) != 1 || hosts[0]["connection"] != "ssh" || hosts[0]["address"] != "127.0.0.9" || hosts[0]["port"] != float64(2202) ||
		hosts[0]["user"] != "deploy" || strings.Contains(out, "s3cr3t-t0ken") {
		t.Errorf("hosts --json with connection details = %s", out)
	}
	var verify map[string]any
	mustJSON(t, e.ok("audit", "verify", "--json"), &verify)
	if verify["incident"] != a || verify["intact"] != true {
		t.Errorf("audit verify --json = %v", verify)
	}
	var v map[string]any
	mustJSON(t, e.ok("version", "--json"), &v)
	for _, k := range []string{"version", "commit", "go"} {
		if s, _ := v[k].(string); s == "" {
			t.Errorf("version --json has no %q: %v", k, v)
		}
	}
}

func mustJSON(t *testing.T, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("%v:\n%s", err, s)
	}
}

// man writes firebreak.1 and a page per command; without a terminal, approve refuses and a run stops at
// its first pause instead of waiting; FIREBREAK_NO_PROMPT does the same.
func TestE2EManPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dir := filepath.Join(e.root, "man")
	e.ok("man", dir)
	for _, page := range []string{"firebreak.1", "firebreak-run.1", "firebreak-retro-set.1", "firebreak-audit-verify.1"} {
		b, err := os.ReadFile(filepath.Join(dir, page))
		if err != nil || !strings.Contains(string(b), ".TH") {
			t.Errorf("%s: %v", page, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "firebreak-__notify.1")); err == nil {
		t.Errorf("the hidden __notify has a man page")
	}
}

func TestE2ENoPromptStopsAtPause(t *testing.T) {
	t.Parallel()
	e := newEnv(t).with("FIREBREAK_NO_PROMPT", "1")
	a := e.declare("x")
	inv := filepath.Join(e.root, "hosts.ini")
	mustWriteFile(t, inv, []byte("[web]\nweb1 ansible_connection=local\nweb2 ansible_connection=local\n"))
	stdout, stderr, code := e.fb("run", a, "--command", "true", "--hosts", "web", "-i", inv, "--dry-run", "--stages", "1,100%")
	if code != 1 || !strings.Contains(stdout, "no terminal to ask") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("run with a pause and no terminal: exit %d stdout %q stderr %q; want exit 1, stopped at the pause", code, stdout, stderr)
	}
}
