package tomlcheck

import (
	"errors"
	"strings"
	"testing"
)

type step struct {
	ID       string `toml:"id"`
	Script   string `toml:"script"`
	Rollback string `toml:"rollback"`
}

type book struct {
	ID    string            `toml:"id"`
	Vars  map[string]string `toml:"vars"`
	Steps []step            `toml:"steps"`
	Meta  struct {
		Owner string `toml:"owner"`
	} `toml:"meta"`
}

func TestDecodeReportsPositions(t *testing.T) {
	cases := []struct {
		name, src string
		want      []string // substrings of each problem, in order
	}{
		{"clean", "id = \"a\"\n[[steps]]\nid = \"s\"\n", nil},
		{"typo in second step", "id = \"a\"\n[[steps]]\nid = \"s\"\n[[steps]]\nid = \"t\"\n  rolback = \"x\"\n",
			[]string{`f.toml:6:3: unknown key "rolback" in [steps]: did you mean "rollback"?`}},
		{"unknown top-level key", "idd = \"a\"\n", []string{`f.toml:1:1: unknown key "idd": did you mean "id"?`}},
		{"unknown table reported once", "id = \"a\"\n[nope]\nx = 1\ny = 2\n", []string{`f.toml:2:1: unknown key "nope"`}},
		{"inline table key", "meta = { owner = \"x\", ownr = \"y\" }\n", []string{`f.toml:1:23: unknown key "ownr" in [meta]: did you mean "owner"?`}},
		{"map keys are fine", "[vars]\nANY = \"x\"\nOTHER = \"y\"\n", nil},
		{"syntax error", "id = \"a\n", []string{"f.toml:1:"}},
		// Columns count characters: 日本 and é move what follows two and one columns, as ab and e do.
		{"syntax error after non-ASCII", "id = \"日本\" = 3\n", []string{"f.toml:1:10: expected a top-level item"}},
		{"syntax error after ASCII", "id = \"ab\" = 3\n", []string{"f.toml:1:10: expected a top-level item"}},
		{"syntax error after a tab and é", "\tid = 'é' x\n", []string{"f.toml:1:10: expected a top-level item"}},
		{"unknown key after emoji", "meta = { owner = \"日本🙂\", ownr = \"y\" }\n", []string{`f.toml:1:25: unknown key "ownr"`}},
		{"type mismatch", "id = \"a\"\n[[steps]]\nid = \"s\"\nscript = 3\n", []string{"f.toml:4:10: steps.script: incompatible types"}},
		{"multiline strings hide keys", "id = \"a\"\n[[steps]]\nscript = \"\"\"\nfoo = 1\n[[steps]]\n\"\"\"\nrolbak = \"\"\n",
			[]string{`f.toml:7:1: unknown key "rolbak" in [steps]: did you mean "rollback"?`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var b book
			err := Decode("f.toml", []byte(c.src), &b)
			if c.want == nil {
				if err != nil {
					t.Fatalf("want clean, got %v", err)
				}
				return
			}
			var ps Problems
			if !errors.As(err, &ps) {
				t.Fatalf("want Problems, got %T %v", err, err)
			}
			if len(ps) != len(c.want) {
				t.Fatalf("want %d problems, got %d:\n%v", len(c.want), len(ps), err)
			}
			for i, w := range c.want {
				if !strings.Contains(ps[i].Error(), w) {
					t.Errorf("problem %d = %q, want it to contain %q", i, ps[i].Error(), w)
				}
			}
		})
	}
}

func TestKeyPos(t *testing.T) {
	src := "id = \"a\"\n[[steps]]\nid = \"s\"\nscript = \"\"\"\necho one\n\"\"\"\n[[steps]]\nid = \"t\"\nscript = 'echo two'\ntags = [\"a\", \"b\"]\n"
	cases := []struct {
		path      []any
		line, col int
		ok        bool
	}{
		{[]any{"id"}, 1, 6, true},
		{[]any{"steps", 0, "script"}, 4, 10, true},
		{[]any{"steps", 1, "script"}, 9, 10, true},
		{[]any{"steps", 1}, 7, 1, true},
		{[]any{"steps", 2, "script"}, 0, 0, false},
		{[]any{"steps", 1, "tags", 1}, 10, 14, true},
	}
	for _, c := range cases {
		line, col, ok := KeyPos([]byte(src), c.path...)
		if line != c.line || col != c.col || ok != c.ok {
			t.Errorf("KeyPos(%v) = %d,%d,%v want %d,%d,%v", c.path, line, col, ok, c.line, c.col, c.ok)
		}
	}
}

func FuzzScan(f *testing.F) {
	f.Add([]byte("id = \"a\"\n[[steps]]\nscript = \"\"\"\nx\n\"\"\"\n"))
	f.Add([]byte("a = [ { b = 1 }, [ 2, 3 ] ]\n[x.y]\nz = 1979-05-27 07:32:00Z\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var b book
		_ = Decode("fuzz.toml", data, &b)
		_, _, _ = KeyPos(data, "steps", 0, "script")
	})
}
