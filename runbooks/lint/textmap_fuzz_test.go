package lint

import (
	"testing"

	"github.com/BurntSushi/toml"
)

// FuzzTextMap checks the position map's reading of TOML strings against the decoder's: every string value
// the decoder accepts lines up with the text it decodes to, so no finding falls back to offsets.
func FuzzTextMap(f *testing.F) {
	for _, s := range []string{
		`"a\tb\u00e9\U0001F642\"\\"`, `'é 日本'`, "'''\nx\r\ny''''", "\"\"\"\r\na \\\r\n  b\"\"\"\"\"",
		`"""a""b"""`, "'''\n\tif true; then\n'''", `"\e\x41"`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		var v struct {
			V string `toml:"v"`
		}
		if value == "" || (value[0] != '"' && value[0] != '\'') { // the scanner places values at their quotes
			return
		}
		if _, err := toml.Decode("v = "+value, &v); err != nil {
			return
		}
		m := newTextMap([]byte(value), 1, 5, v.V)
		if m == nil {
			t.Fatalf("%q decodes to %q, which the position map does not line up with", value, v.V)
		}
		if m.end.line < 1 || m.end.col < 1 {
			t.Fatalf("%q: end at %v", value, m.end)
		}
	})
}
