package main

// End-to-end test of guard 11: secret values planted in a runbook, an inventory, the config and --var never
// reach the database, the logs, the hooks, the exports or anything the binary prints.

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestE2ESecretsNeverLeave(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	planted := map[string]string{ // name -> value; every value is 6+ characters
		"API_TOKEN":             "tok-9f2c41ab77",
		"DB_PASSWORD":           "pw-hunter2-db",
		"SECRET_KEY":            "sk-5c0ffee5c0ffee",
		"aws_secret_access_key": "aws-wJalrXUtnFEMI",
		"GITHUB_PAT":            "ghp_pat0123456789",
		"CUSTOMER_ID":           "cust-4711-0815",   // marked by the runbook's secret_vars
		"BILLING_ACCOUNT":       "acct-77-billing",  // marked by the config's secret_vars
		"INV_PAT":               "inv-pat-31337xyz", // an inventory group variable, by name
		"INV_REGION_CODE":       "region-eu-77aa",   // an inventory variable marked firebreak_secret_vars
		"EXTRA_TOKEN":           "extra-given-on-cli",
	}
	logDir := filepath.Join(e.root, "logs")
	hookOut := filepath.Join(e.root, "hook-payloads")
	exportDir := filepath.Join(e.root, "exports")
	if err := os.MkdirAll(exportDir, 0o755); err != nil {
		t.Fatal(err)
	}
	mustWriteFile(t, filepath.Join(e.work, "firebreak.toml"), []byte(`secret_vars = ["BILLING_ACCOUNT"]

[runs]
log_dir = `+tomlQuote(logDir)+`

[[notify]]
events = ["*"]
command = ["sh", "-c", `+tomlQuote("cat >> "+hookOut+"; echo >> "+hookOut)+`]
`))
	var echo strings.Builder
	echo.WriteString(`echo "dry=${FIREBREAK_DRY_RUN:-0}"` + "\n")
	for name := range planted {
		echo.WriteString(`echo "` + name + `=$` + name + `"; echo "err ` + name + `=$` + name + `" >&2` + "\n")
	}
	rbDir := filepath.Join(e.work, "runbooks")
	if err := os.MkdirAll(rbDir, 0o755); err != nil {
		t.Fatal(err)
	}
	rbWrite(t, filepath.Join(rbDir, "leaky.toml"), `id = "leaky"
title = "Echoes its secrets"
secret_vars = ["CUSTOMER_ID"]

[vars]
API_TOKEN = "`+planted["API_TOKEN"]+`"
DB_PASSWORD = '`+planted["DB_PASSWORD"]+`'
SECRET_KEY = """`+planted["SECRET_KEY"]+`"""
aws_secret_access_key = "`+planted["aws_secret_access_key"]+`"
GITHUB_PAT = "`+planted["GITHUB_PAT"]+`"
CUSTOMER_ID = "`+planted["CUSTOMER_ID"]+`"
BILLING_ACCOUNT = "`+planted["BILLING_ACCOUNT"]+`"
INV_PAT = ""
INV_REGION_CODE = ""
EXTRA_TOKEN = ""

[[steps]]
id = "echo"
title = "Echo every secret, also in its dry run"
script = '''
`+echo.String()+`'''

[[steps]]
id = "fail"
title = "Echo them and fail"
script = '''
`+echo.String()+`echo "failing with $API_TOKEN" >&2
exit 3
'''
`)
	inv := filepath.Join(e.root, "hosts")
	mustWriteFile(t, inv, []byte("[local]\nlocalhost ansible_connection=local\n\n[local:vars]\nINV_PAT="+planted["INV_PAT"]+
		"\nINV_REGION_CODE="+planted["INV_REGION_CODE"]+"\nfirebreak_secret_vars=INV_REGION_CODE\n"))

	var printed []string
	keep := func(stdout, stderr string, code int) (string, int) {
		printed = append(printed, stdout, stderr)
		return stdout, code
	}
	inc := e.declare("secrets drill", "--sev", "3")
	if _, code := keep(e.fb("attach", inc, "leaky")); code != 0 {
		t.Fatalf("attach: exit %d", code)
	}
	base := []string{"run", inc, "--runbook", "leaky", "--step", "echo", "-i", inv, "--hosts", "localhost", "-v",
		"--var", "EXTRA_TOKEN=" + planted["EXTRA_TOKEN"]}
	if out, code := keep(e.fb(append(base, "--dry-run")...)); code != 0 || !strings.Contains(out, "dry=1") {
		t.Fatalf("dry run: exit %d\n%s", code, out)
	}
	out, code := keep(e.fb(append(base, "--yes", "--confirm-out-of-hours")...))
	if code != 0 || !strings.Contains(out, "dry=0") || !strings.Contains(out, "API_TOKEN=********") {
		t.Fatalf("real run: exit %d\n%s", code, out)
	}
	_, code = keep(e.fb("runbook", "test", "leaky", "-i", inv, "--hosts", "localhost", "-v", "--var", "EXTRA_TOKEN="+planted["EXTRA_TOKEN"]))
	if code != 1 || !strings.Contains(strings.Join(printed, ""), "failing with ********") {
		t.Fatalf("runbook test with a failing step: exit %d, want 1\n%s", code, strings.Join(printed, ""))
	}
	keep(e.fb("runbook", "show", "leaky"))
	keep(e.fb("runbook", "show", "leaky", "--json"))
	keep(e.fb("show", inc, "--json"))
	keep(e.fb("timeline", inc, "--json"))
	keep(e.fb("export", inc, "--format", "md", "-o", filepath.Join(exportDir, "retro.md")))
	keep(e.fb("export", inc, "--format", "json", "-o", filepath.Join(exportDir, "retro.json")))
	keep(e.fb("export", inc, "--format", "md"))

	// Hooks run detached: wait for the last run's end to be delivered.
	pollUntil(t, 20*time.Second, "the hooks to receive both runs' ends", func() bool {
		b, _ := os.ReadFile(hookOut)
		return bytes.Count(b, []byte(`"run_finished"`)) >= 2
	})
	time.Sleep(200 * time.Millisecond)

	files := map[string][]byte{"stdout/stderr": []byte(strings.Join(printed, "\n"))}
	for _, p := range []string{e.db, e.db + "-wal", hookOut} {
		if b, err := os.ReadFile(p); err == nil {
			files[p] = b
		}
	}
	for _, dir := range []string{logDir, exportDir} {
		filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
			if err == nil && !fi.IsDir() {
				files[p] = mustReadFile(t, p)
			}
			return nil
		})
	}
	var logs int
	for p := range files {
		if strings.HasPrefix(p, logDir) {
			logs++
		}
	}
	if logs == 0 || len(files[hookOut]) == 0 || len(files[e.db]) == 0 {
		t.Fatalf("nothing to search: %d logs, hook payloads %d bytes, db %d bytes", logs, len(files[hookOut]), len(files[e.db]))
	}
	for p, b := range files {
		for name, v := range planted {
			if bytes.Contains(b, []byte(v)) {
				t.Errorf("%s's value is in %s", name, p)
			}
		}
	}
	// The positive control: the output did go through, masked.
	if !bytes.Contains(files[hookOut], []byte(`"attached"`)) || !strings.Contains(out, "CUSTOMER_ID=********") ||
		!strings.Contains(out, "INV_REGION_CODE=********") {
		t.Errorf("the run's output or the hooks lack what they should show:\n%s", out)
	}
}
