package main

import (
	"errors"
	"strings"
	"testing"
)

// FuzzConfig: any text is a config or a config error (exit 2), never a panic or a hang.
func FuzzConfig(f *testing.F) {
	for _, s := range []string{
		"runbook_dirs = [\"rb\"]\n[hours]\ndays = [\"mon\"]\nstart = \"09:00\"\n",
		"[limits]\nmax_file_size = \"4MiB\"\nmax_hosts = 10\n",
		"[[notify]]\ncommand = [\"x\"]\nevents = [\"*\"]\n[[retro.sections]]\nslug = \"a\"\ntitle = \"A\"\n",
		"x = " + strings.Repeat("[", 70) + strings.Repeat("]", 70),
		"[runs]\nlog_max_host = \"0\"\ntimeout = \"-1s\"\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		cfg, err := decodeConfig("fuzz.toml", []byte(src))
		if err != nil {
			if !errors.Is(err, errConfig) {
				t.Fatalf("error not marked as a config error: %v", err)
			}
			return
		}
		if cfg == nil {
			t.Fatal("no config and no error")
		}
	})
}
