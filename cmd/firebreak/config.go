package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/firebreak/firebreak/incident/notify"
	"github.com/firebreak/firebreak/incident/retro"
	"github.com/firebreak/firebreak/runbooks/filelimit"
	"github.com/firebreak/firebreak/runbooks/output"
	"github.com/firebreak/firebreak/runbooks/tomlcheck"
	"github.com/firebreak/firebreak/store"
	"github.com/firebreak/firebreak/store/engine"
)

// errConfig marks a config file that cannot be used (exit 2).
var errConfig = errors.New("config")

// Config is firebreak.toml. Every key is documented in the README; unknown keys are errors.
type Config struct {
	// DB is the database: a SQLite file's path, or a postgres:// URL (the password is better kept in
	// ~/.pgpass or PGPASSWORD than here). --db and FIREBREAK_DB come first.
	DB string `toml:"db"`
	// RunbookDirs add runbooks to the built-in library (./runbooks is always added when it exists).
	RunbookDirs []string `toml:"runbook_dirs"`
	// Inventories are loaded when no -i is given (localhost is always there).
	Inventories []string `toml:"inventories"`
	// InventoryNames lets -i NAME stand for a path.
	InventoryNames map[string]string `toml:"inventory_names"`
	// SSHConfig is the OpenSSH client config for connection details (default ~/.ssh/config).
	SSHConfig string `toml:"ssh_config"`
	// SecretVars names variables whose values are secrets although their names do not say so (the name
	// rule of output.IsSecretName catches API_TOKEN, DB_PASSWORD, GITHUB_PAT...): masked in every run.
	SecretVars []string `toml:"secret_vars"`
	// Hours are the working hours; a real run outside them needs a typed confirmation.
	Hours Hours `toml:"hours"`
	// Approval is the two-person rule.
	Approval Approval `toml:"approval"`
	// Runs are the defaults of every run.
	Runs RunDefaults `toml:"runs"`
	// Notify hooks tell people about events.
	Notify []notify.Hook `toml:"notify"`
	// Retro configures the retrospective.
	Retro RetroConfig `toml:"retro"`
	// Tracker is the command that creates a ticket for an action item (retro action push).
	Tracker retro.Tracker `toml:"tracker"`
	// Limits bound what firebreak reads, so a hostile or mistaken file is an error, not a hang.
	Limits Limits `toml:"limits"`

	file string // where it was read from ("" for the built-in default)
}

// Limits is the [limits] table.
type Limits struct {
	// MaxFileSize is the largest runbook, inventory or ssh_config file read (a size like 4MiB; default
	// 1MiB). The config file itself is always read with the default.
	MaxFileSize string `toml:"max_file_size"`
	// MaxHosts is the most hosts the inventories may hold together (default 1,000,000).
	MaxHosts int `toml:"max_hosts"`
}

// RetroConfig is the [retro] table: a custom template replaces the default sections; a team's blameless
// rules file (relative to the config file's directory) extends the built-in rules.
type RetroConfig struct {
	Sections       retro.Template `toml:"sections"`
	BlamelessRules string         `toml:"blameless_rules"`
}

// Hours are working hours in a time zone, with holidays.
type Hours struct {
	TimeZone string   `toml:"timezone"` // IANA name, default the local zone
	Days     []string `toml:"days"`     // mon..sun, default mon-fri
	Start    string   `toml:"start"`    // HH:MM, default 09:00
	End      string   `toml:"end"`      // HH:MM, default 18:00
	Holidays []string `toml:"holidays"` // YYYY-MM-DD
}

// Approval configures the two-person rule.
type Approval struct {
	// TwoPerson lists the severities whose real stages after the canary need a second person's approval.
	TwoPerson []int `toml:"two_person"`
	// DistinctOSUsers refuses approvals given from the same OS account as the run: on shared accounts
	// --as alone then does not make a second person.
	DistinctOSUsers bool `toml:"distinct_os_users"`
}

// RunDefaults are the defaults of runs when neither the runbook step nor the command line says otherwise.
type RunDefaults struct {
	Stages         string `toml:"stages"`
	Concurrency    int    `toml:"concurrency"`
	MaxFail        string `toml:"max_fail"`
	Timeout        string `toml:"timeout"`
	ConnectTimeout string `toml:"connect_timeout"`
	SoakTime       string `toml:"soak_time"`
	// LogDir is where the runs' output logs go, one directory per incident (default: logs beside the
	// database). A relative path is taken from the config file's directory; ~/ is the home directory.
	LogDir string `toml:"log_dir"`
	// LogMaxHost bounds one host's log in one run (a size: 64MiB, 500MB or bytes). Past it the log keeps its
	// first part and its end, with a line saying how many bytes were left out.
	LogMaxHost string `toml:"log_max_host"`
	// LogMaxRun bounds all the logs of one run together; past it hosts keep only the end of their output.
	LogMaxRun string `toml:"log_max_run"`
	// LogMinFree is the free space the log directory needs for a run to start ("0" turns the check off).
	LogMinFree string `toml:"log_min_free"`
}

// logLimits returns the log sizes in bytes (the config was checked, so they parse; a value that does not
// falls back to the default).
func (r RunDefaults) logLimits() (maxHost, maxRun, minFree int64) {
	size := func(v, def string) int64 {
		n, err := output.ParseSize(v)
		if err != nil {
			n, _ = output.ParseSize(def)
		}
		return n
	}
	return size(r.LogMaxHost, defaultLogMaxHost), size(r.LogMaxRun, defaultLogMaxRun), size(r.LogMinFree, defaultLogMinFree)
}

// secrets is the name rule with the configured secret_vars marked.
func (c *Config) secrets() output.Secrets {
	return output.NewSecrets(c.SecretVars...)
}

// database is the configured database: a path (relative to the config file's directory, ~ expanded) or a
// URL as written.
func (c *Config) database() string {
	if c.DB == "" || engine.IsURL(c.DB) {
		return c.DB
	}
	dir := expandHome(c.DB)
	if !filepath.IsAbs(dir) && c.file != "" {
		dir = filepath.Join(filepath.Dir(c.file), dir)
	}
	return dir
}

// logDir returns the root of the run logs: runs.log_dir, or logs beside a SQLite database (dbPath), or
// logs in firebreak's data directory on this machine when the database is a server (dbPath "").
func (c *Config) logDir(dbPath string) string {
	dir := expandHome(c.Runs.LogDir)
	switch {
	case dir == "" && dbPath == "":
		data, err := store.DataDir()
		if err != nil {
			return filepath.Join(os.TempDir(), "firebreak-logs")
		}
		return filepath.Join(data, "logs")
	case dir == "":
		return filepath.Join(filepath.Dir(dbPath), "logs")
	case !filepath.IsAbs(dir) && c.file != "":
		return filepath.Join(filepath.Dir(c.file), dir)
	}
	return dir
}

// The defaults of the log sizes (guards 10 and 13).
const (
	defaultLogMaxHost = "64MiB"
	defaultLogMaxRun  = "1GiB"
	defaultLogMinFree = "100MiB"
)

// defaultConfig is what firebreak uses with no config file at all.
func defaultConfig() *Config {
	return &Config{
		Hours:    Hours{Days: []string{"mon", "tue", "wed", "thu", "fri"}, Start: "09:00", End: "18:00"},
		Approval: Approval{TwoPerson: []int{1, 2}},
		Runs: RunDefaults{Stages: "1,5,25%,100%", Concurrency: 10, MaxFail: "0", Timeout: "5m",
			ConnectTimeout: "10s", LogMaxHost: defaultLogMaxHost, LogMaxRun: defaultLogMaxRun, LogMinFree: defaultLogMinFree},
	}
}

// configPath finds the config: --config, else ./firebreak.toml, else $XDG_CONFIG_HOME/firebreak/config.toml.
// An explicit path must exist; the others are used only when they do.
func configPath(explicit string) (string, error) {
	if explicit != "" {
		if _, err := os.Stat(explicit); err != nil {
			return "", store.Errorf(errConfig, "--config %s: %v", explicit, errors.Unwrap(err))
		}
		return explicit, nil
	}
	if _, err := os.Stat("firebreak.toml"); err == nil {
		return "firebreak.toml", nil
	}
	dir := os.Getenv("XDG_CONFIG_HOME")
	if !filepath.IsAbs(dir) {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", nil
		}
		dir = filepath.Join(home, ".config")
	}
	p := filepath.Join(dir, "firebreak", "config.toml")
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	return "", nil
}

// loadConfig reads and checks the config at path ("" for the defaults).
func loadConfig(path string) (*Config, error) {
	cfg := defaultConfig()
	if path == "" {
		return cfg, nil
	}
	data, err := filelimit.ReadMax(path, filelimit.DefaultMaxSize)
	if err != nil {
		return nil, store.Errorf(errConfig, "%v", err)
	}
	cfg, err = decodeConfig(path, data)
	if err != nil {
		return nil, err
	}
	if cfg.Limits.MaxFileSize != "" {
		n, _ := output.ParseSize(cfg.Limits.MaxFileSize)
		filelimit.SetMaxSize(n)
	}
	return cfg, nil
}

// decodeConfig decodes and checks the text of the config file at path.
func decodeConfig(path string, data []byte) (*Config, error) {
	cfg := defaultConfig()
	cfg.file = path
	if err := tomlcheck.Decode(path, data, cfg); err != nil {
		return nil, store.Errorf(errConfig, "%v", err)
	}
	if ps := cfg.check(data); len(ps) > 0 {
		return nil, store.Errorf(errConfig, "%v", ps)
	}
	return cfg, nil
}

// check validates values, reporting each problem at the line of its key.
func (c *Config) check(data []byte) tomlcheck.Problems {
	var ps tomlcheck.Problems
	bad := func(msg string, path ...any) {
		line, col, _ := tomlcheck.KeyPos(data, path...)
		ps = append(ps, tomlcheck.Problem{File: c.file, Line: line, Col: col, Msg: msg})
	}
	for i, n := range c.SecretVars {
		if !validName(n) {
			bad(fmt.Sprintf("secret_vars: %q is not a variable name: list names like CUSTOMER_ID", n), "secret_vars", i)
		}
	}
	if c.Hours.TimeZone != "" {
		if _, err := time.LoadLocation(c.Hours.TimeZone); err != nil {
			bad(fmt.Sprintf("hours.timezone %q is not a known time zone: use an IANA name like Europe/Berlin", c.Hours.TimeZone), "hours", "timezone")
		}
	}
	for i, d := range c.Hours.Days {
		if _, ok := weekdays[strings.ToLower(d)]; !ok {
			bad(fmt.Sprintf("hours.days: %q is not a day: use mon, tue, wed, thu, fri, sat, sun", d), "hours", "days", i)
		}
	}
	start, err1 := parseClock(c.Hours.Start)
	end, err2 := parseClock(c.Hours.End)
	if err1 != nil {
		bad("hours.start: "+err1.Error(), "hours", "start")
	}
	if err2 != nil {
		bad("hours.end: "+err2.Error(), "hours", "end")
	}
	if err1 == nil && err2 == nil && end <= start {
		bad("hours.end must be after hours.start", "hours", "end")
	}
	for i, h := range c.Hours.Holidays {
		if _, err := time.Parse("2006-01-02", h); err != nil {
			bad(fmt.Sprintf("hours.holidays: %q is not a date: use YYYY-MM-DD", h), "hours", "holidays", i)
		}
	}
	for i, s := range c.Approval.TwoPerson {
		if s < 1 || s > 4 {
			bad(fmt.Sprintf("approval.two_person: %d is not a severity: use 1 to 4", s), "approval", "two_person", i)
		}
	}
	if c.Runs.Concurrency < 1 {
		bad("runs.concurrency must be at least 1", "runs", "concurrency")
	}
	for key, v := range map[string]string{"timeout": c.Runs.Timeout, "connect_timeout": c.Runs.ConnectTimeout, "soak_time": c.Runs.SoakTime} {
		if v == "" {
			continue
		}
		if d, err := time.ParseDuration(v); err != nil || d < 0 {
			bad(fmt.Sprintf("runs.%s: %q is not a duration: use a form like 30s or 5m", key, v), "runs", key)
		}
	}
	for _, k := range []struct {
		key, v string
		zeroOK bool
	}{{"log_max_host", c.Runs.LogMaxHost, false}, {"log_max_run", c.Runs.LogMaxRun, false}, {"log_min_free", c.Runs.LogMinFree, true}} {
		if n, err := output.ParseSize(k.v); err != nil {
			bad(fmt.Sprintf("runs.%s: %v", k.key, err), "runs", k.key)
		} else if n == 0 && !k.zeroOK {
			bad(fmt.Sprintf("runs.%s must be more than 0: use a size like 64MiB", k.key), "runs", k.key)
		}
	}
	for i, h := range c.Notify {
		if len(h.Command) == 0 || h.Command[0] == "" {
			bad(`notify: a hook needs a command, like command = ["/usr/local/bin/page", "--team", "sre"]`, "notify", i)
		}
		if len(h.Events) == 0 {
			bad(`notify: a hook needs events, like events = ["declared", "severity", "status"] or ["*"]`, "notify", i)
		}
		if h.Timeout != "" {
			if d, err := time.ParseDuration(h.Timeout); err != nil || d <= 0 {
				bad(fmt.Sprintf("notify.timeout: %q is not a duration: use a form like 10s", h.Timeout), "notify", i, "timeout")
			}
		}
	}
	ps = append(ps, c.checkTracker(data)...)
	seenSlug := map[string]bool{}
	for i, sec := range c.Retro.Sections {
		if sec.Slug == "" || sec.Title == "" || strings.ContainsAny(sec.Slug, " /") || seenSlug[sec.Slug] {
			bad("retro.sections: each section needs a unique slug (no spaces) and a title, like { slug = \"summary\", title = \"Summary\", prompt = \"...\" }", "retro", "sections", i)
		}
		seenSlug[sec.Slug] = true
	}
	if v := c.Limits.MaxFileSize; v != "" {
		if n, err := output.ParseSize(v); err != nil || n <= 0 {
			bad(fmt.Sprintf("limits.max_file_size: %q is not a size above 0: use a size like 4MiB", v), "limits", "max_file_size")
		}
	}
	if c.Limits.MaxHosts < 0 {
		bad("limits.max_hosts must be at least 1 (0 or no key: the default, 1000000)", "limits", "max_hosts")
	}
	for name, p := range c.InventoryNames {
		if p == "" {
			bad(fmt.Sprintf("inventory_names.%s is empty", name), "inventory_names", name)
		}
	}
	return ps
}

var weekdays = map[string]time.Weekday{"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday,
	"wed": time.Wednesday, "thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday}

// parseClock reads HH:MM as minutes after midnight.
func parseClock(s string) (int, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a time of day: use HH:MM", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

// expandHome turns a leading ~/ into the home directory.
func expandHome(p string) string {
	if strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, p[2:])
		}
	}
	return p
}
