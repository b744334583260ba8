package runbooks

import "testing"

func TestRunbookTOMLRoundTrips(t *testing.T) {
	for _, script := range []string{
		"echo hi",
		"echo \"quoted\" 'single' \\ backslash\n\tindented\n",
		"printf '%s\\n' \"\"\"triple\"\"\"\nend with quote\"",
		"cr\r\nnul\x01ctl\n",
	} {
		text := adHocTOML("fix-inc-1", `Fix "this"`, "Run it", "INC-1", script, "test -f /tmp/x", "rm -f /tmp/x\n")
		rb, err := Parse("x.toml", []byte(text))
		if err != nil {
			t.Fatalf("%v\n%s", err, text)
		}
		st, _ := rb.Step("fix")
		if st.Script != script || st.Check != "test -f /tmp/x" || st.Rollback != "rm -f /tmp/x\n" || rb.Title != `Fix "this"` {
			t.Errorf("round trip of %q gave %q\n%s", script, st.Script, text)
		}
	}
}
