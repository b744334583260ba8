package incident

import (
	"bytes"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// roundTrip decodes data as a T and encodes it again: the bytes must come back the same, or a database
// written before the payload was typed would hash differently from what firebreak writes now.
func roundTrip[T any](data string) func(t *testing.T) {
	return func(t *testing.T) {
		var d T
		if err := json.Unmarshal([]byte(data), &d); err != nil {
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
}

// TestPayloadsRoundTrip holds, for every kind this package owns, its data as firebreak wrote it before the
// payloads were typed (the run kinds were maps then, so their keys are sorted): each must decode into the
// kind's payload type and encode back byte for byte.
func TestPayloadsRoundTrip(t *testing.T) {
	cases := map[string][]func(*testing.T){
		KindDeclared: {roundTrip[declaredData](`{"title":"disk full on db-1","severity":"SEV2","drill":false}`)},
		KindNote: {
			roundTrip[NoteData](`{}`),
			roundTrip[NoteData](`{"at":"2026-11-29T02:40:00.000000Z"}`),
		},
		KindScriptSavedAsRunbook: {roundTrip[ScriptSavedAsRunbookData](`{"check":true,"hash":"ee","path":"/rb/fix-disk.toml","rollback":false,"runbook":"fix-disk","step":"fix","version":2}`)},
		KindStatus: {
			roundTrip[statusData](`{"from":"investigating","to":"monitoring","milestones":["mitigated"]}`),
			roundTrip[statusData](`{"from":"monitoring","to":"identified","back":true}`),
		},
		KindSeverity: {roundTrip[severityData](`{"from":"SEV3","to":"SEV1"}`)},
		KindRole: {
			roundTrip[RoleData](`{"role":"commander","person":"alice","milestone":"acknowledged"}`),
			roundTrip[RoleData](`{"role":"scribe","person":"","previous":"bob"}`),
		},
		KindStar: {roundTrip[starData](`{"seq":12,"starred":true}`)},
		KindMilestone: {
			roundTrip[milestoneData](`{"milestone":"impact_start","at":"2026-11-29T03:00:00.000000Z"}`),
			roundTrip[milestoneData](`{"milestone":"impact_start","at":"2026-11-29T02:55:00.000000Z","previous":"2026-11-29T03:00:00.000000Z","correction":true,"reason":"the graphs say so"}`),
		},
		KindHide: {roundTrip[HideData](`{"seq":7,"reason":"duplicate"}`)},
		KindNotifyFailed: {
			roundTrip[NotifyFailedData](`{"dropped":12}`),
			roundTrip[NotifyFailedData](`{"error":"exit status 1","hook":"pager","seq":5}`),
			roundTrip[NotifyFailedData](`{"error":"exit status 1","hook":"pager","last_seq":9,"seq":5}`),
		},
		KindRetroState:   {roundTrip[retroStateData](`{"from":"draft","to":"review"}`)},
		KindAttached:     {roundTrip[attachedData](`{"runbook":"disk-full","title":"Disk full","source":"runbooks/disk-full.toml","hash":"ab","raw":"title = \"Disk full\"\n","steps":[{"id":"look","title":"Look"},{"id":"clean","title":"Clean","script":true}]}`)},
		KindTick:         {roundTrip[stepData](`{"runbook":"disk-full","step":"look"}`)},
		KindUntick:       {roundTrip[stepData](`{"runbook":"disk-full","step":"look"}`)},
		KindSkip:         {roundTrip[stepData](`{"runbook":"disk-full","step":"clean","reason":"not needed"}`)},
		KindAssign:       {roundTrip[stepData](`{"runbook":"disk-full","step":"clean","person":"carol"}`)},
		KindApproved:     {roundTrip[ApprovalData](`{"run":3,"stage":1,"person":"bob","actor":"root as bob","started_by":"root as alice","plan_hash":"sha256:aa"}`)},
		KindRunRefused:   {roundTrip[RunRefusedData](`{"dry_run":false,"guards":[{"guard":"halt","outcome":"refused"}],"plan_hash":"cd34","refusals":[{"guard":"halt","message":"HALT \u003cengaged\u003e \u0026 stop"}],"runbook":"disk-full","script_hash":"ab12","step":"clean"}`)},
		KindRunStarted:   {roundTrip[RunStartedData](`{"plan":{"pattern":"web*","dry_run":true,"stages":[["a"],["b","c"]]},"run":7}`)},
		KindGuard:        {roundTrip[GuardData](`{"detail":"03:00 local","guard":"working-hours","plan_hash":"cd34","reason":"outage","run":7}`)},
		KindBreakGlass:   {roundTrip[GuardData](`{"detail":"03:00 local","guard":"working-hours","plan_hash":"cd34","reason":"break glass: db down","run":7}`)},
		KindStageStarted: {roundTrip[StageStartedData](`{"hosts":["b","c"],"run":7,"stage":2}`)},
		KindHostDone:     {roundTrip[HostDoneData](`{"run":7,"host":"b","stage":2,"state":"failed","exit_code":3,"phase":"script","duration_ms":1520}`)},
		KindStageDone:    {roundTrip[StageDoneData](`{"run":7,"stage":2,"counts":{"failed":1,"ok":2},"failed":["b"],"max_fail_exceeded":true}`)},
		KindRunWaiting:   {roundTrip[RunWaitingData](`{"run":7,"stage":1,"waiting_for":"approval"}`)},
		KindRunContinued: {roundTrip[RunContinuedData](`{"run":7,"stage":2}`)},
		KindRunFinished:  {roundTrip[RunFinishedData](`{"counts":{"failed":1,"ok":2},"dry_run":false,"reason":"max_fail exceeded","run":7,"runbook":"disk-full","script_hash":"ab12","status":"failed","step":"clean"}`)},
		KindRunInterrupted: {
			roundTrip[RunInterruptedData](`{"pid":4242,"run":7,"unknown":null}`),
			roundTrip[RunInterruptedData](`{"pid":4242,"run":7,"unknown":["b"]}`),
		},
		KindHalt:       {roundTrip[SwitchData](`{"at":"2026-11-29T12:00:00.000000Z","reason":"bad deploy"}`)},
		KindResume:     {roundTrip[SwitchData](`{"at":"2026-11-29T12:30:00.000000Z","reason":""}`)},
		KindRetroSaved: {roundTrip[RetroSavedData](`{"section":"summary","version":2,"base":1,"conflict":true,"text_sha256":"ee"}`)},
		KindActionItem: {
			roundTrip[ActionItemData](`{"item":1,"version":1,"text":"alert on disk use"}`),
			roundTrip[ActionItemData](`{"item":1,"version":3,"text":"alert on disk use","owner":"dave","ticket":"OPS-1","due":"2026-12-15","kind":"detect","done":true,"removed":true}`),
		},
		KindTicketPush: {
			roundTrip[TicketPushData](`{"item":2,"claim":"9f2c","state":"started","until":"2026-11-29T12:00:45.000000Z","machine":"bastion-1","pid":4242,"retry":true}`),
			roundTrip[TicketPushData](`{"item":2,"claim":"9f2c","state":"created","ticket":"https://github.com/acme/ops/issues/12"}`),
			roundTrip[TicketPushData](`{"item":2,"claim":"9f2c","state":"unknown","error":"the tracker timed out after 30s and was killed"}`),
		},
		KindUpdate: {roundTrip[UpdateData](`{"status":"mitigating","severity":"SEV2","next_update":"2026-11-29T12:30:00.000000Z","edited":true}`)},
	}
	for _, kind := range declaredKinds(t) {
		tests, ok := cases[kind]
		if !ok {
			t.Errorf("kind %q has no round-trip case: add one with its payload type", kind)
		}
		for i, test := range tests {
			t.Run(kind+"/"+strconv.Itoa(i), test)
		}
	}
}

// The payloads that keep what only the run engine understands as it wrote it still read what others need.
func TestRunStartedPlanDryRun(t *testing.T) {
	for data, want := range map[string]bool{
		`{"plan":{"pattern":"web*","dry_run":true},"run":7}`: true,
		`{"plan":{"dry_run":false},"run":7}`:                 false,
		`{"run":7}`:                                          false,
	} {
		var d RunStartedData
		if err := json.Unmarshal([]byte(data), &d); err != nil {
			t.Fatal(err)
		}
		if d.PlanDryRun() != want {
			t.Errorf("%s: dry run %v, want %v", data, d.PlanDryRun(), want)
		}
	}
}

// declaredKinds are the kinds this package declares: every constant named Kind... with a string value.
func declaredKinds(t *testing.T) []string {
	fset := token.NewFileSet()
	paths, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	owners, problems := kindOwners(fset, map[string][]*ast.File{"incident": files})
	if len(problems) > 0 || len(owners) < 30 {
		t.Fatalf("found %d kinds (%v): the scan is broken", len(owners), problems)
	}
	kinds := make([]string, 0, len(owners))
	for k := range owners {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	return kinds
}
