package inventory

import (
	"strings"
	"testing"
)

func TestSecretVars(t *testing.T) {
	ini := "web1 firebreak_secret_vars=HOST_ONLY\n[db]\ndb1\n[db:vars]\nfirebreak_secret_vars=DB_DSN, CUSTOMER_ID\n[all:vars]\nfirebreak_secret_vars=REGION_CODE\n"
	toml := "secret_vars = [\"INV_CODE\", \"OTHER\"]\n[vars]\nfirebreak_secret_vars = \"FROM_VARS\"\n[[host]]\nname = \"web2\"\n"
	inv, err := load(t, map[string]string{"hosts": ini, "more.toml": toml}, []string{"hosts", "more.toml"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Marks add up: the all group of more.toml adds to the one of hosts instead of replacing it.
	if got := strings.Join(inv.SecretVars(), ","); got != "CUSTOMER_ID,DB_DSN,FROM_VARS,HOST_ONLY,INV_CODE,OTHER,REGION_CODE" {
		t.Errorf("SecretVars = %s", got)
	}
	none, err := load(t, map[string]string{"hosts": "web1\n"}, []string{"hosts"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := none.SecretVars(); len(got) != 0 {
		t.Errorf("SecretVars = %q", got)
	}
}
