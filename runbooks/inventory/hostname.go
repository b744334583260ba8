package inventory

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// checkHostName refuses a host name (or an address) carrying a character that is not text: C0 and C1
// control characters, DEL, Unicode format characters (bidi overrides, zero-width characters) and invalid
// UTF-8. Such a name would reach terminals, timelines and exports, where it could move the cursor, set the
// clipboard (OSC 52) or reorder what a person reads; no real host is named that way.
func checkHostName(name string) error {
	for i, r := range name {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(name[i:]); size <= 1 {
				return fmt.Errorf("host %q is not valid UTF-8 at byte %d: host names are text; fix the inventory", name, i)
			}
		}
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || unicode.Is(unicode.Cf, r) {
			return fmt.Errorf("host %q contains the control character %U at byte %d: host names are printed on terminals and in exports; remove it from the inventory", name, r, i)
		}
	}
	return nil
}
