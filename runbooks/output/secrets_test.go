package output

import (
	"strings"
	"testing"
)

func TestIsSecretName(t *testing.T) {
	for _, tc := range []struct {
		name string
		want bool
	}{
		// the SPEC's words, anywhere in the name
		{"API_TOKEN", true}, {"apitoken", true}, {"DB_PASSWORD", true}, {"db_passwd", true},
		{"SECRET_KEY", true}, {"aws_secret_access_key", true}, {"SecretSauce", true},
		{"GOOGLE_CREDENTIALS", true}, {"GPG_PASSPHRASE", true}, {"SSH_PRIVATE_KEY", true},
		// the short words, as whole words only
		{"GITHUB_PAT", true}, {"INV_PAT", true}, {"PAT", true}, {"pat_for_ci", true},
		{"API_KEY", true}, {"KEY", true}, {"ssh_key_path", true}, {"apiKey", true}, {"KEY2", true},
		{"SSH_KEYS", true}, {"BASIC_AUTH", true}, {"auth-header", true}, {"GITHUB_OAUTH", true},
		// false positives the whole-word rule avoids
		{"PATH", false}, {"LD_LIBRARY_PATH", false}, {"PATTERN", false}, {"DISPATCH", false}, {"SPATIAL", false},
		{"MONKEY", false}, {"KEYBOARD", false}, {"TURKEY_COUNT", false}, {"AUTHOR", false}, {"GIT_AUTHOR_NAME", false},
		{"AUTHORITY", false}, {"APIKEY", false},
		// ordinary names
		{"HOST", false}, {"FIREBREAK_RUN", false}, {"CUSTOMER_ID", false}, {"", false},
	} {
		if got := IsSecretName(tc.name); got != tc.want {
			t.Errorf("IsSecretName(%q) = %v, want %v (words %q)", tc.name, got, tc.want, nameWords(tc.name))
		}
	}
}

func TestSecretsMarked(t *testing.T) {
	s := NewSecrets("CUSTOMER_ID").With("region_secret_id", " ")
	for name, want := range map[string]bool{"CUSTOMER_ID": true, "customer_id": true, "REGION_SECRET_ID": true, "API_TOKEN": true, "HOST": false} {
		if s.IsSecret(name) != want {
			t.Errorf("IsSecret(%q) != %v", name, want)
		}
	}
	if (Secrets{}).IsSecret("CUSTOMER_ID") || NewSecrets("CUSTOMER_ID").With().Marked()[0] != "CUSTOMER_ID" {
		t.Error("marks leak between values")
	}
	vars := map[string]string{"CUSTOMER_ID": "cust-829134", "API_TOKEN": "tok-1234567", "PIN_KEY": "42", "NOTE": "for cust-829134, pin 42"}
	m := s.MaskVars(vars)
	if m["CUSTOMER_ID"] != Mask || m["API_TOKEN"] != Mask || m["PIN_KEY"] != Mask {
		t.Errorf("secret variables keep their values: %v", m)
	}
	// A value shorter than MinMaskLen is masked as its own variable but not inside text.
	if m["NOTE"] != "for "+Mask+", pin 42" {
		t.Errorf("NOTE = %q", m["NOTE"])
	}
	if got := s.Values(vars); strings.Join(got, ",") != "cust-829134,tok-1234567" {
		t.Errorf("Values = %q", got)
	}
}

func TestMaskerSkipsShortValues(t *testing.T) {
	m := NewMasker([]string{"1", "prod", "abcde", "abcdef"})
	if got := m.String("1 prod abcde abcdef"); got != "1 prod abcde "+Mask {
		t.Errorf("Apply = %q", got)
	}
}
