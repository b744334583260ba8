package runview

import (
	"bytes"
	"encoding/json"
	"testing"
)

// The ad-hoc script's payloads were maps before they were typed: the data firebreak wrote then (keys
// sorted) must decode into them and encode back byte for byte, or old timelines would hash differently.
func TestScriptPayloadsRoundTrip(t *testing.T) {
	check := func(d any, data string) {
		t.Helper()
		if err := json.Unmarshal([]byte(data), d); err != nil {
			t.Fatalf("%T: %v", d, err)
		}
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatalf("%T: %v", d, err)
		}
		if !bytes.Equal(b, []byte(data)) {
			t.Errorf("%T round trip:\n got %s\nwant %s", d, b, data)
		}
	}
	check(&scriptSavedData{}, `{"changed_lines":3,"diff":"--- v1\n+++ v2\n","hash":"ee","previous_hash":"dd","text":"echo hi\n","version":2}`)
	check(&scriptSavedData{}, `{"changed_lines":0,"diff":"","hash":"dd","previous_hash":"","text":"echo \u003chi\u003e\n","version":1}`)
}
