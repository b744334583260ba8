package inventory

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firebreak/firebreak/runbooks/filelimit"
)

func writeScript(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "inventory.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o700); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestScriptInventory(t *testing.T) {
	p := writeScript(t, `echo '{"web": {"hosts": ["w1", "w2"], "vars": {"n": 1.0}}, "db": ["d1"], "_meta": {"hostvars": {"w2": {"ansible_connection": "local"}}}}'`)
	inv, err := Load([]string{p}, Options{SSHConfig: []string{}, Home: t.TempDir(), LocalUser: "me"})
	if err != nil {
		t.Fatal(err)
	}
	hosts, err := inv.Match("web:db")
	if err != nil || strings.Join(names(hosts), ",") != "w1,w2,d1" {
		t.Fatalf("web:db = %v, %v", names(hosts), err)
	}
	if h := mustHost(t, inv, "w2"); !h.Local {
		t.Errorf("w2 with ansible_connection=local is not local")
	}
	if v := mustHost(t, inv, "w1").Vars["n"]; v != "1.0" {
		t.Errorf("n = %q, want 1.0 as Python prints the float", v)
	}
}

func TestScriptInventoryFailures(t *testing.T) {
	tests := []struct {
		body string
		want string
	}{
		{"echo oops >&2; exit 3", "failed: exit status 3: oops"},
		{"echo '[1, 2]'", "needs to be a JSON object"},
		{"echo 'not json'", "is not an inventory"},
		{"sleep 5", "did not finish within 300ms"},
		{"yes '{}'", "printed more than"},
		{`echo '{"web": {"hosts": "w1"}}'`, "hosts must be a list"},
	}
	for _, tt := range tests {
		_, err := Load([]string{writeScript(t, tt.body)}, Options{SSHConfig: []string{}, Home: t.TempDir(), LocalUser: "me", ScriptTimeout: 300 * time.Millisecond})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want it to contain %q", tt.body, err, tt.want)
		}
		if tt.want == "printed more than" && !errors.Is(err, filelimit.ErrLimit) {
			t.Errorf("%s: %v is not a filelimit error", tt.body, err)
		}
	}
}
