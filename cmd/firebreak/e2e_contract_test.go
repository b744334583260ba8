package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// declare prints the new id alone on stdout, and ids count up.
func TestE2EDeclarePrintsIDAlone(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for i, want := range []string{"INC-1\n", "INC-2\n", "INC-3\n"} {
		stdout, stderr, code := e.fb("declare", "checkout is down")
		if code != 0 || stdout != want || stderr != "" {
			t.Fatalf("declare #%d: exit %d, stdout %q, stderr %q; want exit 0, stdout %q, stderr empty", i+1, code, stdout, stderr, want)
		}
	}
	s := e.show("INC-2")
	if s.ID != "INC-2" || s.Title != "checkout is down" || s.Severity != "SEV3" || s.Drill || s.Status != "investigating" {
		t.Errorf("show INC-2 = %+v, want the title, SEV3 (the default), not a drill, investigating", s)
	}
	if s.DeclaredBy != osUser(t) {
		t.Errorf("declared_by %q, want the OS user %q", s.DeclaredBy, osUser(t))
	}
}

// --sev and --drill, before, between and after the words of the title, in every flag form.
func TestE2EDeclareFlagsAnywhere(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cases := []struct {
		name  string
		args  []string
		title string
		sev   string
		drill bool
	}{
		{"flags first", []string{"--sev", "1", "--drill", "db", "down"}, "db down", "SEV1", true},
		{"flags last", []string{"db", "down", "--sev=2", "--drill"}, "db down", "SEV2", true},
		{"flags between", []string{"db", "--sev", "sev4", "--drill", "down"}, "db down", "SEV4", true},
		{"one word title", []string{"db down", "--sev", "SEV1"}, "db down", "SEV1", false},
		{"single dash", []string{"-sev", "2", "db", "down"}, "db down", "SEV2", false},
		{"drill only", []string{"--drill", "game day"}, "game day", "SEV3", true},
		{"after --", []string{"--sev", "4", "--", "--drill", "is", "words"}, "--drill is words", "SEV4", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := &fbEnv{t: t, root: e.root, work: e.work, db: e.db, vars: e.vars}
			id := e.declare(c.args...)
			s := e.show(id)
			if s.Title != c.title || s.Severity != c.sev || s.Drill != c.drill {
				t.Errorf("declare %q: title %q sev %s drill %v; want %q %s %v", c.args, s.Title, s.Severity, s.Drill, c.title, c.sev, c.drill)
			}
			var found bool
			for _, it := range e.list() {
				if it.ID == id {
					found = true
					if it.Drill != c.drill || it.Severity != c.sev {
						t.Errorf("list --json shows %+v", it)
					}
				}
			}
			if !found {
				t.Errorf("%s not in list --json", id)
			}
		})
	}
}

// --db, --as and --config are taken anywhere on the command line; FIREBREAK_DB and FIREBREAK_USER are their
// env forms, and the flags win over the env.
func TestE2EGlobalFlagsAnywhere(t *testing.T) {
	t.Parallel()
	base := newEnv(t).with("FIREBREAK_DB", "")
	missing := filepath.Join(base.root, "no-such-dir", "x.db")
	cases := []struct {
		name string
		env  map[string]string
		args func(db string) []string
	}{
		{"--db first", nil, func(db string) []string { return []string{"--db", db, "declare", "t"} }},
		{"--db after command", nil, func(db string) []string { return []string{"declare", "--db", db, "t"} }},
		{"--db= last", nil, func(db string) []string { return []string{"declare", "t", "--db=" + db} }},
		{"-db between", nil, func(db string) []string { return []string{"declare", "a", "-db", db, "b"} }},
		{"FIREBREAK_DB", map[string]string{"FIREBREAK_DB": "@"}, func(string) []string { return []string{"declare", "t"} }},
		{"--db beats FIREBREAK_DB", map[string]string{"FIREBREAK_DB": missing}, func(db string) []string { return []string{"declare", "t", "--db", db} }},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := &fbEnv{t: t, root: base.root, work: base.work, vars: base.vars}
			db := filepath.Join(base.root, "global-"+string(rune('a'+i))+".db")
			for k, v := range c.env {
				if v == "@" {
					v = db
				}
				e = e.with(k, v)
			}
			stdout, stderr, code := e.fb(c.args(db)...)
			if code != 0 || stdout != "INC-1\n" {
				t.Fatalf("%q: exit %d stdout %q stderr %q", c.args(db), code, stdout, stderr)
			}
			evs := parseTimeline(t, e.ok("timeline", "INC-1", "--json", "--db", db))
			if len(evs) != 1 || evs[0].Kind != "declared" {
				t.Errorf("the database named got %+v, want the declared event", evs)
			}
		})
	}
	t.Cleanup(func() {
		// No command fell back to the default database or the env's missing directory.
		for _, p := range []string{filepath.Join(base.root, "data"), filepath.Dir(missing)} {
			if _, err := os.Stat(p); err == nil {
				t.Errorf("%s was created: some command ignored --db", p)
			}
		}
	})
}

// --as NAME and FIREBREAK_USER are recorded as "USER as NAME"; the flag beats the env; naming yourself is
// just you.
func TestE2EActor(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	me := osUser(t)
	id := e.declare("who did what", "--as", "alice")
	cases := []struct {
		env  string // FIREBREAK_USER
		args []string
		want string
	}{
		{"", []string{"--as", "alice", "note", id, "first"}, me + " as alice"},
		{"", []string{"note", id, "--as=bob", "second"}, me + " as bob"},
		{"", []string{"note", id, "third", "--as", "carol"}, me + " as carol"},
		{"dave", []string{"note", id, "fourth"}, me + " as dave"},
		{"dave", []string{"note", id, "fifth", "--as", "erin"}, me + " as erin"},
		{"", []string{"note", id, "sixth"}, me},
		{"", []string{"note", id, "seventh", "--as", me}, me},
	}
	for _, c := range cases {
		e.with("FIREBREAK_USER", c.env).ok(c.args...)
	}
	evs := e.timeline(id)
	if len(evs) != len(cases)+1 {
		t.Fatalf("%d events, want %d", len(evs), len(cases)+1)
	}
	if evs[0].Actor != me+" as alice" {
		t.Errorf("declared by %q, want %q", evs[0].Actor, me+" as alice")
	}
	if s := e.show(id); s.DeclaredBy != me+" as alice" {
		t.Errorf("show: declared_by %q", s.DeclaredBy)
	}
	for i, c := range cases {
		if got := evs[i+1].Actor; got != c.want {
			t.Errorf("FIREBREAK_USER=%q firebreak %q: actor %q, want %q", c.env, c.args, got, c.want)
		}
	}
}

// --config is taken anywhere, before ./firebreak.toml, which comes before $XDG_CONFIG_HOME/firebreak/config.toml.
func TestE2EConfigLookup(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	xdg := filepath.Join(e.vars["XDG_CONFIG_HOME"], "firebreak", "config.toml")
	if err := os.MkdirAll(filepath.Dir(xdg), 0o755); err != nil {
		t.Fatal(err)
	}
	mustWriteFile(t, xdg, []byte("runbook_dirs = []\nxdg_only_key = 1\n"))
	_, stderr, code := e.fb("list")
	wantError(t, "XDG config with an unknown key", "", stderr, code, 2, xdg+":2:1", "xdg_only_key")

	local := filepath.Join(e.work, "firebreak.toml")
	mustWriteFile(t, local, []byte("\n\n  local_key = true\n"))
	_, stderr, code = e.fb("list")
	wantError(t, "./firebreak.toml with an unknown key", "", stderr, code, 2, "firebreak.toml:3:3", "local_key")

	good := filepath.Join(e.root, "good.toml")
	mustWriteFile(t, good, []byte("runbook_dirs = []\n"))
	for _, args := range [][]string{{"--config", good, "list", "--json"}, {"list", "--config", good, "--json"}, {"list", "--json", "--config=" + good}} {
		if out := e.ok(args...); strings.TrimSpace(out) != "[]" {
			t.Errorf("%q: %q, want []", args, out)
		}
	}
}
