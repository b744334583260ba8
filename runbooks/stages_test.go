package runbooks

import (
	"slices"
	"testing"
)

func TestParseStages(t *testing.T) {
	cases := []struct {
		in      string
		want    string // canonical form; "" means an error
		wantErr bool
	}{
		{"1,5,25%,100%", "1,5,25%,100%", false},
		{" 1 , 5 ,25% ", "1,5,25%", false},
		{"100%", "100%", false},
		{"3", "3", false},
		{"0,abc", "", true},
		{"0", "", true},
		{"abc", "", true},
		{"", "", true},
		{"1,,5", "", true},
		{"150%", "", true},
		{"0%", "", true},
		{"-1", "", true},
		{"+2", "", true},
		{"12.5%", "", true},
		{"%", "", true},
	}
	for _, c := range cases {
		st, err := ParseStages(c.in)
		if (err != nil) != c.wantErr {
			t.Errorf("ParseStages(%q) error = %v, want error %v", c.in, err, c.wantErr)
			continue
		}
		if err == nil && st.String() != c.want {
			t.Errorf("ParseStages(%q) = %q, want %q", c.in, st.String(), c.want)
		}
	}
}

// TestStagesSplit follows Ansible's serial list: percentages of the whole host set, floored, at least one
// host; the last entry repeats; no batch exceeds what remains.
func TestStagesSplit(t *testing.T) {
	cases := []struct {
		stages string
		n      int
		want   []int
	}{
		{"1,5,25%,100%", 100, []int{1, 5, 25, 69}},
		{"1,5,25%,100%", 20, []int{1, 5, 5, 9}},
		{"1,5,25%,100%", 3, []int{1, 2}},
		{"1,5,25%,100%", 1, []int{1}},
		{"1,5,25%", 20, []int{1, 5, 5, 5, 4}},     // Ansible's documented example: the last entry repeats
		{"1,5,10%", 3, []int{1, 2}},               // 10% of 3 floors to 0, then the minimum of 1 applies
		{"10%", 5, []int{1, 1, 1, 1, 1}},          // always at least one host
		{"30%", 10, []int{3, 3, 3, 1}},            // never more than remain
		{"2", 5, []int{2, 2, 1}},                  // a single count repeats
		{"100%", 7, []int{7}},                     // everyone at once
		{"1,100%", 7, []int{1, 6}},                // canary then the rest
		{"50%,1", 4, []int{2, 1, 1}},              // percentages of the whole set, not of what is left
		{"1,5,25%,100%", 0, nil},                  // no hosts, no batches
		{"", 4, []int{4}},                         // no stages: one batch (see Split)
		{"1,2,3", 4, []int{1, 2, 1}},              // stop once everyone is covered
		{"3,2,1", 10, []int{3, 2, 1, 1, 1, 1, 1}}, // the last entry repeats even when small
		{"33%,66%,100%", 3, []int{1, 1, 1}},       // floors: 0.99 -> 1 (minimum), 1.98 -> 1, then what is left
		{"33%,66%,100%", 100, []int{33, 66, 1}},   // 33 + 66, then the last host
		{"25%", 3, []int{1, 1, 1}},                // minimum one
		{"1,5,25%,100%", 6, []int{1, 5}},          // second stage takes the rest
		{"1,5,25%,100%", 1000, []int{1, 5, 250, 744}},
	}
	for _, c := range cases {
		var st Stages
		if c.stages != "" {
			var err error
			if st, err = ParseStages(c.stages); err != nil {
				t.Fatalf("ParseStages(%q): %v", c.stages, err)
			}
		}
		got := st.Split(c.n)
		if !slices.Equal(got, c.want) {
			t.Errorf("Stages(%q).Split(%d) = %v, want %v", c.stages, c.n, got, c.want)
		}
		sum := 0
		for _, b := range got {
			if b < 1 {
				t.Errorf("Stages(%q).Split(%d) has an empty batch: %v", c.stages, c.n, got)
			}
			sum += b
		}
		if sum != max(c.n, 0) {
			t.Errorf("Stages(%q).Split(%d) covers %d hosts", c.stages, c.n, sum)
		}
	}
}

func TestMaxFail(t *testing.T) {
	cases := []struct {
		in           string
		failed, size int
		exceeded     bool
		wantErr      bool
	}{
		{"0", 0, 5, false, false},
		{"0", 1, 5, true, false},
		{"2", 2, 10, false, false}, // reached is not exceeded
		{"2", 3, 10, true, false},
		{"30%", 3, 10, false, false}, // 30% of 10 reached, not exceeded (as Ansible)
		{"30%", 4, 10, true, false},
		{"33%", 1, 3, true, false}, // 33.3% > 33%
		{"34%", 1, 3, false, false},
		{"0%", 1, 100, true, false},
		{"100%", 5, 5, false, false}, // never halts
		{"50%", 1, 1, true, false},
		{"150%", 0, 0, false, true},
		{"-1", 0, 0, false, true},
		{"abc", 0, 0, false, true},
		{"", 0, 0, false, true},
		{"10.5%", 0, 0, false, true},
	}
	for _, c := range cases {
		m, err := ParseMaxFail(c.in)
		if (err != nil) != c.wantErr {
			t.Errorf("ParseMaxFail(%q) error = %v, want error %v", c.in, err, c.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		if got := m.Exceeded(c.failed, c.size); got != c.exceeded {
			t.Errorf("max_fail %s: %d failed of %d exceeded = %v, want %v", c.in, c.failed, c.size, got, c.exceeded)
		}
		if m.String() != c.in {
			t.Errorf("ParseMaxFail(%q).String() = %q", c.in, m.String())
		}
	}
}
