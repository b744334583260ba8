package main

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/runbooks/rollout"
	"github.com/firebreak/firebreak/store"
)

func TestParseNotifyItem(t *testing.T) {
	for _, c := range []struct {
		arg  string
		want notifyItem
		ok   bool
	}{
		{"1:5", notifyItem{1, 5, 5}, true},
		{"12:5-2004", notifyItem{12, 5, 2004}, true},
		{"1:5-4", notifyItem{}, false},
		{"1:0", notifyItem{}, false},
		{"1", notifyItem{}, false},
		{"1:x", notifyItem{}, false},
		{"1:5-", notifyItem{}, false},
	} {
		got, ok := parseNotifyItem(c.arg)
		if ok != c.ok || (ok && got != c.want) {
			t.Errorf("parseNotifyItem(%q) = %+v, %v; want %+v, %v", c.arg, got, ok, c.want, c.ok)
		}
	}
}

// A group's summary counts only the events with the first one's key: host_done of the same run.
func TestCoalesceHostDone(t *testing.T) {
	hostDone := func(seq, run int64, host string, state rollout.HostState) store.Event {
		data, _ := json.Marshal(incident.HostDoneData{Run: run, Host: host, State: string(state)})
		return store.Event{Incident: 1, Seq: seq, Kind: incident.KindHostDone, Data: data}
	}
	events := []store.Event{
		hostDone(10, 3, "a", rollout.OK),
		hostDone(11, 3, "b", rollout.Failed),
		{Incident: 1, Seq: 12, Kind: incident.KindNote},
		hostDone(13, 4, "x", rollout.Failed), // another run
		hostDone(14, 3, "c", rollout.OK),
		hostDone(15, 3, "d", rollout.Unreachable),
	}
	b := coalesce(events)
	if b.Kind != incident.KindHostDone || b.Run != "RUN-3" || b.Count != 4 || b.FirstSeq != 10 || b.LastSeq != 15 ||
		fmt.Sprint(b.ByState) != "map[failed:1 ok:2 unreachable:1]" || fmt.Sprint(b.NotOK) != "[b d]" ||
		b.Text != "RUN-3: 4 hosts done: 2 ok, 1 failed, 1 unreachable" {
		t.Errorf("coalesce = %+v", b)
	}
}
