package main

import (
	"errors"
	"strings"
	"testing"
)

// FuzzBlamelessRules: any text is a team's rules file or a config error at a place in it, never a panic or
// a hang; rules that compile check any text without panicking.
func FuzzBlamelessRules(f *testing.F) {
	for _, s := range []string{
		"disable = [\"hindsight\"]\n[[rule]]\nid = \"cowboy\"\npattern = '\\bcowboy\\b'\nmessage = \"m\"\nsuggestion = \"s\"\n",
		"[[rule]]\nid = \"p\"\npattern = '\\b{person} the hero\\b'\nexcept = 'x{person}'\nmessage = \"m\"\nsuggestion = \"s\"\n",
		"[[rule]]\nid = \"broken\"\npattern = '(unclosed'\n",
		"[[rule]]\npatern = 'y'\n",
		"disable = [\"nope\"]\n",
		"[[rule]]\nid = \"e\"\npattern = 'x*'\nmessage = \"m\"\nsuggestion = \"s\"\n",
	} {
		f.Add(s, "It was all bobs fault; the hero bob broke it.")
	}
	f.Fuzz(func(t *testing.T, src, text string) {
		rules, err := parseBlamelessRules("team.toml", []byte(src))
		if err != nil {
			if !errors.Is(err, errConfig) || strings.Contains(err.Error(), "\n") || !strings.HasPrefix(err.Error(), "team.toml") {
				t.Fatalf("not a one-line config error naming the file: %v", err)
			}
			return
		}
		rules.Check("summary", text, []string{"bob", "alice", text})
	})
}
