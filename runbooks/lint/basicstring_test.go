package lint

import "testing"

func TestBasicStringMap(t *testing.T) {
	// File (starting at line 3, column 10 where the opening quotes are):
	//   """
	//   echo \"hi\" \
	//     $x
	//   a\tb\u00e9c
	//   """
	raw := []byte("\"\"\"\necho \\\"hi\\\" \\\n  $x\na\\tb\\u00e9c\n\"\"\"")
	m := basicStringMap(raw, 3, 10)
	cases := []struct{ decoded, file position }{
		{position{1, 1}, position{4, 1}},  // e of echo
		{position{1, 6}, position{4, 6}},  // \" decodes to one character
		{position{1, 7}, position{4, 8}},  // h, after the two-character escape
		{position{1, 11}, position{5, 3}}, // the line-ending backslash joins "$x" to line 1
		{position{2, 2}, position{6, 2}},  // \t
		{position{2, 3}, position{6, 4}},  // b
		{position{2, 4}, position{6, 5}},  // \u00e9 is one character
		{position{2, 5}, position{6, 11}}, // c
	}
	for _, c := range cases {
		if got, ok := m[c.decoded]; !ok || got != c.file {
			t.Errorf("decoded %v: file %v (%v), want %v", c.decoded, got, ok, c.file)
		}
	}
	single := basicStringMap([]byte(`"a\"b" # not part of it`), 7, 5)
	if single[position{1, 2}] != (position{7, 7}) || single[position{1, 3}] != (position{7, 9}) || len(single) != 3 {
		t.Errorf("single-line: %v", single)
	}
}
