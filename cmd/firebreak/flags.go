package main

import (
	"unicode"
)

// isNegative reports whether s is a negative number or a relative time (-3, -25m): an argument, not a flag.
func isNegative(s string) bool {
	return len(s) > 1 && s[0] == '-' && unicode.IsDigit(rune(s[1]))
}
