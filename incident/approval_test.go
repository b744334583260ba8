package incident

import (
	"encoding/json"
	"testing"
)

// TestApprovalData: the keys the run engine writes, and the data of approvals written before actor and
// started_by were recorded.
func TestApprovalData(t *testing.T) {
	cases := []struct {
		data string
		same bool
	}{
		{`{"run":3,"stage":1,"person":"bob","actor":"root as bob","started_by":"root as alice","plan_hash":"sha256:aa"}`, true},
		{`{"run":3,"stage":1,"person":"bob","actor":"root as bob","started_by":"root"}`, true},
		{`{"run":3,"stage":1,"person":"bob","actor":"bob","started_by":"root as alice"}`, false},
		{`{"run":3,"stage":1,"person":"bob"}`, false},
		{`{"run":3,"stage":1,"person":"bob","actor":"root as bob"}`, false},
		{`{"run":3,"stage":1,"person":"bob","started_by":"root as alice"}`, false},
	}
	for _, c := range cases {
		var d ApprovalData
		if err := json.Unmarshal([]byte(c.data), &d); err != nil {
			t.Fatal(err)
		}
		if d.Run != 3 || d.Stage != 1 || d.Person != "bob" || d.SameAccountAsStarter() != c.same {
			t.Errorf("%s: %+v same account %v, want %v", c.data, d, d.SameAccountAsStarter(), c.same)
		}
	}
	b, _ := json.Marshal(ApprovalData{Run: 3, Stage: 1, Person: "bob", Actor: "root as bob", StartedBy: "root as alice", PlanHash: "sha256:aa"})
	if want := `{"run":3,"stage":1,"person":"bob","actor":"root as bob","started_by":"root as alice","plan_hash":"sha256:aa"}`; string(b) != want {
		t.Errorf("ApprovalData JSON %s, want %s", b, want)
	}
}
