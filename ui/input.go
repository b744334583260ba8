package ui

import "github.com/firebreak/firebreak/ui/textfield"

// input is the console's one-line text field (forms, the picker and list filters).
type input = textfield.Field

// newInput makes a field holding value as a suggestion: the first typed character replaces it.
func newInput(value string) *input {
	in := textfield.New(10000)
	in.Suggest(value)
	return &in
}
