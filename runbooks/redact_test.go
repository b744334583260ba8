package runbooks

import (
	"strings"
	"testing"

	"github.com/firebreak/firebreak/runbooks/output"
)

func TestRedacted(t *testing.T) {
	const head = "id = \"rb\"\ntitle = \"t\"\nsecret_vars = [\"CUSTOMER_ID\"]\n"
	const steps = "\n[[steps]]\nid = \"s\"\ntitle = \"s\"\nscript = \"echo tok-abcdef1 $CUSTOMER_ID\"\n"
	for name, tc := range map[string]struct {
		vars   string
		secret []string // values that must be gone
		keep   []string // text that must stay
	}{
		"basic":     {"[vars]\nAPI_TOKEN = \"tok-abcdef1\"\nHOST = \"web1\"\n", []string{"tok-abcdef1"}, []string{`HOST = "web1"`, "echo " + output.Mask}},
		"literal":   {"[vars]\nDB_PASSWORD = 'p\\w\"d-123'\nAPI_TOKEN = \"tok-abcdef1\"\n", []string{`p\w"d-123`, "tok-abcdef1"}, nil},
		"multiline": {"[vars]\nSECRET_KEY = \"\"\"\nline1-secret\nline2\"\"\"\nAPI_TOKEN = \"tok-abcdef1\"\n", []string{"line1-secret"}, nil},
		"escaped":   {"[vars]\nGITHUB_PAT = \"ghp_\\\"quoted\\\"\"\nAPI_TOKEN = \"tok-abcdef1\"\n", []string{`ghp_\"quoted\"`, "quoted"}, nil},
		"short":     {"[vars]\nPIN_KEY = \"42\"\nAPI_TOKEN = \"tok-abcdef1\"\n", []string{`"42"`}, nil},
		"inline":    {"vars = { API_TOKEN = \"tok-abcdef1\", aws_secret_access_key = \"aws-0123456\" }\n", []string{"tok-abcdef1", "aws-0123456"}, nil},
		"marked":    {"[vars]\nCUSTOMER_ID = \"cust-829134\"\nAPI_TOKEN = \"tok-abcdef1\"\nREGION = \"eu-west-1a\"\n", []string{"cust-829134"}, []string{"eu-west-1a"}},
		"config":    {"[vars]\nINV_REGION = \"region-secret\"\nAPI_TOKEN = \"tok-abcdef1\"\n", []string{"region-secret"}, nil},
	} {
		t.Run(name, func(t *testing.T) {
			rb, err := Parse("rb.toml", []byte(head+tc.vars+steps))
			if err != nil {
				t.Fatal(err)
			}
			got, err := rb.Redacted(output.NewSecrets("INV_REGION"))
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tc.secret {
				if strings.Contains(got, s) {
					t.Errorf("%q left in\n%s", s, got)
				}
			}
			for _, s := range tc.keep {
				if !strings.Contains(got, s) {
					t.Errorf("%q lost from\n%s", s, got)
				}
			}
			back, err := Parse("rb.toml", []byte(got))
			if err != nil {
				t.Fatalf("redacted text does not parse: %v\n%s", err, got)
			}
			for k, v := range back.Vars {
				if rb.Secrets(output.NewSecrets("INV_REGION")).IsSecret(k) && v != output.Mask {
					t.Errorf("%s = %q", k, v)
				}
			}
		})
	}
}

func TestRedactedRefusesWhatItCannotFind(t *testing.T) {
	// \u0041 spells A: the secret's text is nowhere in the file as written.
	rb, err := Parse("rb.toml", []byte("id = \"rb\"\ntitle = \"t\"\n[vars]\nAPI_TOKEN = \"abc\\u0041def\"\n\n[[steps]]\nid = \"s\"\ntitle = \"s\"\nscript = \"# abc\\u0041def\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := rb.Redacted(output.Secrets{}); err == nil || strings.Contains(err.Error(), "abcAdef") {
		t.Errorf("Redacted = %q, %v", got, err)
	}
}

func TestRedactedWithoutSecrets(t *testing.T) {
	raw := "id = \"rb\"\ntitle = \"t\"\n[vars]\nHOST = \"web1\"\n\n[[steps]]\nid = \"s\"\ntitle = \"s\"\n"
	rb, _ := Parse("rb.toml", []byte(raw))
	if got, err := rb.Redacted(output.Secrets{}); err != nil || got != raw {
		t.Errorf("Redacted = %q, %v", got, err)
	}
}
