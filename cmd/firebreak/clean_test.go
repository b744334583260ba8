package main

import (
	"strings"
	"testing"
)

// hostile is data text that tries the terminal: an OSC 52 clipboard write, a screen clear, a bidi override
// and a newline that would forge a row.
const hostile = "db1\x1b]52;c;ZWNobyBwd25lZA==\x07\x1b[2J\u202egnp.exe\nINC-99  SEV1  resolved"

func TestClean(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain text", "plain text"},
		{"tab\there", "tab here"},
		{"a\nb", "a ⏎ b"},
		{"a\r\nb", "a ⏎ b"},
		{"x\x1b[2Jy", "xy"},
		{"x\x1b]52;c;ZWNobw==\x07y", "xy"},
		{"x\u202ey", "x\ufffdy"},
		{"x\x7fy\u009bAz", "x\ufffdyz"}, // C1 CSI, like ESC [
		{"héllo", "héllo"},
	} {
		if got := clean(tc.in); got != tc.want {
			t.Errorf("clean(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	got := clean(hostile)
	if strings.ContainsAny(got, "\x1b\x07\n\u202e") {
		t.Errorf("clean(hostile) = %q: control characters left", got)
	}
}

func TestCleanLines(t *testing.T) {
	got := cleanLines("one\x1b[2J\ntwo\u202e\r\n\tthree\n")
	want := []string{"one", "two\ufffd", "\tthree"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("cleanLines = %q, want %q", got, want)
	}
}

func TestOneLineSanitises(t *testing.T) {
	err := usageErrorf("no host %s\x1b]52;c;eA==\x07\nsecond", "web1")
	if got := oneLine(err); strings.ContainsAny(got, "\x1b\x07\n") || !strings.Contains(got, "(and 1 more lines)") {
		t.Errorf("oneLine = %q", got)
	}
}
