package engine

import (
	"strings"
	"testing"
)

func TestRedactHidesPasswords(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"/var/lib/firebreak/fb.db", "/var/lib/firebreak/fb.db"},
		{"postgres://alice:s3cret@db:5432/fb", "postgres://alice:xxxxx@db:5432/fb"},
		{"postgresql://alice@db/fb?sslmode=require", "postgresql://alice@db/fb?sslmode=require"},
		{"postgres://db/fb?password=s3cret&sslmode=disable", "postgres://db/fb?password=xxxxx&sslmode=disable"},
		{"postgres://alice:s3cret@db:bad port/fb", "postgres://(unparseable URL)"},
	} {
		got := Redact(tc.in)
		if got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if strings.Contains(got, "s3cret") {
			t.Errorf("Redact(%q) kept the password", tc.in)
		}
	}
}

func TestWithoutPasswordKeepsTheRest(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"/var/lib/firebreak/fb.db", "/var/lib/firebreak/fb.db"},
		{"postgres://alice:s3cret@db:5432/fb?sslmode=require", "postgres://alice@db:5432/fb?sslmode=require"},
		{"postgres://db/fb?password=s3cret", "postgres://db/fb"},
		{"postgres://alice:s3cret@db:bad port/fb", ""},
	} {
		if got := WithoutPassword(tc.in); got != tc.want {
			t.Errorf("WithoutPassword(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
