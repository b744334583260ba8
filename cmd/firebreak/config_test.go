package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestREADMEConfigExampleLoads keeps the README honest: its config example must load cleanly.
func TestREADMEConfigExampleLoads(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(readme), "## Configuration")
	if !ok {
		t.Fatal("README has no Configuration section")
	}
	block := regexp.MustCompile("(?s)```toml\n(.*?)```").FindStringSubmatch(after)
	if block == nil {
		t.Fatal("no toml example in the Configuration section")
	}
	path := filepath.Join(t.TempDir(), "firebreak.toml")
	os.WriteFile(path, []byte(block[1]), 0o600)
	cfg, err := loadConfig(path)
	if err != nil {
		t.Fatalf("the README's config example does not load: %v", err)
	}
	if len(cfg.Notify) != 1 || cfg.Hours.TimeZone != "Europe/Berlin" || len(cfg.Retro.Sections) != 1 || cfg.Runs.LogDir == "" {
		t.Fatalf("loaded %+v", cfg)
	}
}

func TestConfigErrorsNameTheLine(t *testing.T) {
	cases := []struct{ toml, want string }{
		{"[hours]\nstrat = \"09:00\"\n", `:2:1: unknown key "strat" in [hours]: did you mean "start"?`},
		{"[hours]\ntimezone = \"Mars/Olympus\"\n", ":2:12: hours.timezone"},
		{"[[notify]]\nevents = [\"declared\"]\n", ":1:1: notify: a hook needs a command"},
		{"[runs]\ntimeout = \"soon\"\n", ":2:11: runs.timeout"},
		{"[approval]\ntwo_person = [1, 7]\n", ":2:18: approval.two_person: 7"},
		{"[runs]\nconcurrency = 4\nlog_max_host = \"64M\"\n", `:3:16: runs.log_max_host: "64M" is not a size: use a form like 64MiB`},
		{"[runs]\nlog_max_run = \"0\"\n", ":2:15: runs.log_max_run must be more than 0"},
		{"[runs]\nlog_min_free = \"lots\"\n", ":2:16: runs.log_min_free"},
		{"[runs]\nlog_max_host = 1048576\n", ":2:16:"},
		{"secret_vars = [\"OK\", \"not-a-name\"]\n", `:1:22: secret_vars: "not-a-name" is not a variable name`},
	}
	for _, c := range cases {
		path := filepath.Join(t.TempDir(), "f.toml")
		os.WriteFile(path, []byte(c.toml), 0o600)
		_, err := loadConfig(path)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.toml, err, c.want)
		}
	}
}

func TestConfigLogLimits(t *testing.T) {
	cfg := defaultConfig()
	if h, r, f := cfg.Runs.logLimits(); h != 64<<20 || r != 1<<30 || f != 100<<20 {
		t.Errorf("default log limits %d %d %d", h, r, f)
	}
	if got := cfg.logDir("/var/lib/firebreak/firebreak.db"); got != "/var/lib/firebreak/logs" {
		t.Errorf("default log dir %s", got)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "firebreak.toml")
	os.WriteFile(path, []byte("[runs]\nlog_dir = \"runlogs\"\nlog_max_host = \"1 MiB\"\nlog_max_run = \"500MB\"\nlog_min_free = \"0\"\n"), 0o600)
	cfg, err := loadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if h, r, f := cfg.Runs.logLimits(); h != 1<<20 || r != 500e6 || f != 0 {
		t.Errorf("log limits %d %d %d", h, r, f)
	}
	if got := cfg.logDir("/db/firebreak.db"); got != filepath.Join(dir, "runlogs") {
		t.Errorf("a relative log_dir is taken from the config's directory: %s", got)
	}
}
