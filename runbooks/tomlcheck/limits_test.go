package tomlcheck

import (
	"runtime"
	"strings"
	"testing"
)

func TestDepthLimit(t *testing.T) {
	for _, c := range []struct {
		src       string
		line, col int // 0: within the limit
	}{
		{"a = " + strings.Repeat("[", 64) + strings.Repeat("]", 64), 0, 0},
		{"a = " + strings.Repeat("[", 65) + strings.Repeat("]", 65), 1, 69},
		{"# " + strings.Repeat("[", 100) + "\nb = '" + strings.Repeat("{", 100) + "'\nc = \"\"\"\n" + strings.Repeat("[", 100) + "\"\"\"", 0, 0},
		{"x = \"é\"\nt = " + strings.Repeat("{a=", 65), 2, 5 + 64*3},
	} {
		p := CheckDepth("f.toml", []byte(c.src))
		switch {
		case c.line == 0 && p != nil:
			t.Errorf("%.40q: %v, want no problem", c.src, p)
		case c.line != 0 && (p == nil || p.Line != c.line || p.Col != c.col):
			t.Errorf("%.40q: %v, want a problem at %d:%d", c.src, p, c.line, c.col)
		}
	}
}

// TestScanMemory: the largest hostile files under the 1 MiB limit decode, are scanned and indexed within
// bounded memory (the scanner once kept every element's path: gigabytes).
func TestScanMemory(t *testing.T) {
	const size = 1 << 20
	fill := func(unit func(i int) string) []byte {
		var b strings.Builder
		for i := 0; b.Len() < size-200; i++ {
			b.WriteString(unit(i))
		}
		return []byte(b.String())
	}
	inputs := map[string][]byte{
		"nested at depth 64": fill(func(i int) string {
			return "k" + itoa(i) + " = " + strings.Repeat("[", 64) + "1" + strings.Repeat("]", 64) + "\n"
		}),
		"tiny elements": []byte("a = [" + strings.Repeat("1,", size/2-10) + "1]\n"),
		"many keys":     fill(func(i int) string { return "k" + itoa(i) + " = 1\n" }),
	}
	for name, src := range inputs {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		var v struct {
			A []int `toml:"a"`
		}
		err := Decode("f.toml", src, &v)
		ix := NewIndex(src)
		ix.Pos("a", 3)
		KeyPos(src, "nope")
		runtime.ReadMemStats(&after)
		grew := (after.Sys - before.Sys) >> 20
		t.Logf("%s: %d KB, %d problems found, memory from the OS grew %d MiB", name, len(src)>>10, count(err), grew)
		if grew > 100 {
			t.Errorf("%s: took %d MiB", name, grew)
		}
	}
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}

func count(err error) int {
	if ps, ok := err.(Problems); ok {
		return len(ps)
	}
	return 0
}
