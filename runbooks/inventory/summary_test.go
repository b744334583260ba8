package inventory

import (
	"fmt"
	"strings"
	"testing"
)

func seq(format string, from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, fmt.Sprintf(format, i))
	}
	return out
}

// every is every kth name from the first.
func every(names []string, k int) []string {
	var out []string
	for i := 0; i < len(names); i += k {
		out = append(out, names[i])
	}
	return out
}

func TestSummarize(t *testing.T) {
	cat := func(parts ...[]string) []string {
		var out []string
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	for _, c := range []struct {
		name  string
		names []string
		want  string
	}{
		{"empty", nil, ""},
		{"one host", []string{"web1"}, "web1"},
		{"a handful, listed whole even when a range", seq("web%d", 1, 5), "web1, web2, web3, web4, web5"},
		{"one range", seq("host%05d", 1, 5000), "host00001–host05000, 5,000 hosts"},
		{"ten thousand", seq("host%05d", 1, 10000), "host00001–host10000, 10,000 hosts"},
		{"unpadded across widths", seq("web%d", 8, 120), "web8–web120, 113 hosts"},
		{"padded across a carry", seq("web%02d", 8, 12), "web08, web09, web10, web11, web12"},
		{"padded range over a carry", seq("web%02d", 1, 20), "web01–web20, 20 hosts"},
		{"padding changes: two ranges", cat(seq("web%02d", 1, 9), seq("web%03d", 10, 12)), "web01–web09, web010–web012, 12 hosts"},
		{"gaps", cat(seq("host%05d", 1, 2000), seq("host%05d", 2002, 5000)), "host00001–host02000, host02002–host05000, 4,999 hosts"},
		{"mixed prefixes", cat(seq("web%d", 1, 4), seq("db%d", 1, 3), []string{"lb"}), "web1–web4, db1–db3, lb, 8 hosts"},
		{"same number, other prefix", []string{"web1", "db2", "web3", "db4", "web5", "db6"}, "web1, db2, web3, db4, web5 and 1 more (6 hosts)"},
		{"number in the middle", seq("web%d.eu.example.com", 1, 30), "web1.eu.example.com–web30.eu.example.com, 30 hosts"},
		{"suffix differs", []string{"web1.eu", "web2.us", "web3.eu", "web4.us", "web5.eu", "web6.us"}, "web1.eu, web2.us, web3.eu, web4.us, web5.eu and 1 more (6 hosts)"},
		{"the varying number stays put", []string{"r1h1", "r1h2", "r1h3", "r2h3", "r3h3", "r4h3"}, "r1h1–r1h3, r2h3–r4h3, 6 hosts"},
		{"pairs are not ranges", []string{"a1", "a2", "b1", "b2", "c1", "c2", "d1"}, "a1, a2, b1, b2, c1 and 2 more (7 hosts)"},
		{"many gaps", every(seq("host%05d", 1, 10000), 2), "host00001, host00003, host00005, host00007, host00009 and 4,995 more (5,000 hosts)"},
		{"duplicates", []string{"web1", "web1", "web1", "web1", "web1", "web1"}, "web1, web1, web1, web1, web1 and 1 more (6 hosts)"},
		{"huge numbers", []string{"h99999999999999999999", "h100000000000000000000", "a", "b", "c", "d"}, "h99999999999999999999, h100000000000000000000, a, b, c and 1 more (6 hosts)"},
	} {
		if got := Summarize(c.names); got != c.want {
			t.Errorf("%s: Summarize = %q, want %q", c.name, got, c.want)
		}
	}
}

func TestAbbreviate(t *testing.T) {
	if got, want := Abbreviate(seq("host%05d", 2, 5000)), "host00002–host05000"; got != want {
		t.Errorf("Abbreviate = %q, want %q", got, want)
	}
	if got, want := Abbreviate(every(seq("h%d", 1, 20), 3)), "h1, h4, h7, h10, h13 and 2 more"; got != want {
		t.Errorf("Abbreviate = %q, want %q", got, want)
	}
	if got, want := Abbreviate([]string{"a", "b"}), "a, b"; got != want {
		t.Errorf("Abbreviate = %q, want %q", got, want)
	}
}

func TestCount(t *testing.T) {
	for n, want := range map[int]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 12345: "12,345", 1234567: "1,234,567", -4500: "-4,500"} {
		if got := Count(n); got != want {
			t.Errorf("Count(%d) = %q, want %q", n, got, want)
		}
	}
}

// A summary of 10,000 names is short and quick: messages name whole fleets.
func TestSummarizeTenThousand(t *testing.T) {
	names := seq("web-%d.example.com", 1, 10000)
	names[5000] = "db1"
	got := Summarize(names)
	if want := "web-1.example.com–web-5000.example.com, db1, web-5002.example.com–web-10000.example.com, 10,000 hosts"; got != want {
		t.Errorf("Summarize = %q, want %q", got, want)
	}
	if n := strings.Count(got, ","); n > 10 {
		t.Errorf("%d commas in %q", n, got)
	}
}

func BenchmarkSummarize(b *testing.B) {
	names := seq("host%05d", 1, 10000)
	for b.Loop() {
		Summarize(names)
	}
}

func TestSucceeds(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"0", "1", true}, {"9", "10", true}, {"09", "10", true}, {"19", "20", true}, {"199", "200", true},
		{"99", "100", true}, {"123456789012345678901234567899", "123456789012345678901234567900", true},
		{"1", "3", false}, {"10", "10", false}, {"99", "101", false}, {"19", "21", false}, {"29", "30", true},
		{"10", "01", false}, {"2", "1", false}, {"999", "1001", false},
	} {
		if got := succeeds(c.a, c.b); got != c.want {
			t.Errorf("succeeds(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}
