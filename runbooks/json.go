package runbooks

import "encoding/json"

// MarshalJSON renders the stage list as it is written, e.g. "1,5,25%".
func (st Stages) MarshalJSON() ([]byte, error) { return json.Marshal(st.String()) }

// MarshalJSON renders the tolerance as it is written, e.g. "2" or "10%".
func (m MaxFail) MarshalJSON() ([]byte, error) { return json.Marshal(m.String()) }

// MarshalJSON renders the step with its timeout as a Go duration string ("90s") rather than nanoseconds.
func (s Step) MarshalJSON() ([]byte, error) {
	type plain Step // without this method
	out := struct {
		plain
		Timeout string `json:"timeout,omitempty"`
	}{plain: plain(s)}
	if s.Timeout > 0 {
		out.Timeout = s.Timeout.String()
	}
	return json.Marshal(out)
}
