package postgres

import "testing"

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://fb:s3cret@db.example:5432/firebreak?sslmode=require":   "postgres://fb@db.example:5432/firebreak?sslmode=require",
		"postgresql://db.example/firebreak?password=s3cret&sslmode=verify": "postgresql://db.example/firebreak?sslmode=verify",
		"postgres://fb@/firebreak?host=/run/postgresql":                    "postgres://fb@/firebreak?host=/run/postgresql",
		"postgres://fb:s3cret@%zz/":                                        "a postgres:// URL that does not parse",
	} {
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
}
