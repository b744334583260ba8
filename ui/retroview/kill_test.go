package retroview

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/firebreak/firebreak/incident"
	"github.com/firebreak/firebreak/store"
	"github.com/firebreak/firebreak/store/engine"
	"github.com/firebreak/firebreak/ui/deps"
	"github.com/firebreak/firebreak/ui/styles"
)

// TestMain lets the kill test re-execute this test binary as a console: FIREBREAK_RETRO_TYPIST=DB|ID runs a
// real tea.Program with the retrospective screen on incident ID, opens the first section, and types a
// character every 50 ms through the program's input, printing "typed N UNIXNANO" after each. With
// FIREBREAK_RETRO_TYPIST=DB|ID|STOP it stops after STOP characters and waits to be killed.
func TestMain(m *testing.M) {
	if spec := os.Getenv("FIREBREAK_RETRO_TYPIST"); spec != "" {
		os.Exit(typist(spec))
	}
	os.Exit(m.Run())
}

const typistGap = 50 * time.Millisecond

// typed is the i-th character the typist types.
func typed(i int) byte {
	if i%7 == 6 {
		return ' '
	}
	return "abcdefghijklmnopqrstuvwxyz"[i%26]
}

// typistRoot is a minimal root: sizes flow down, everything else goes to the screen; it reports when the
// retrospective is loaded and when the editor is open.
type typistRoot struct {
	m               *Model
	loaded, editing chan struct{}
	once1, once2    *sync.Once
}

func (r typistRoot) Init() tea.Cmd { return r.m.Init() }
func (r typistRoot) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if s, ok := msg.(tea.WindowSizeMsg); ok {
		r.m.SetSize(s.Width, s.Height)
		return r, nil
	}
	_, cmd := r.m.Update(msg)
	if r.m.retro != nil {
		r.once1.Do(func() { close(r.loaded) })
	}
	if r.m.mode == modeEditor {
		r.once2.Do(func() { close(r.editing) })
	}
	return r, cmd
}
func (r typistRoot) View() string { return r.m.View() }

func typist(spec string) int {
	parts := strings.Split(spec, "|")
	id, _ := strconv.ParseInt(parts[1], 10, 64)
	stop := -1
	if len(parts) > 2 {
		stop, _ = strconv.Atoi(parts[2])
	}
	db, err := engine.Open(context.Background(), parts[0], store.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		return 3
	}
	svc := &incident.Service{DB: db, Actor: incident.Actor{User: "ops", As: "typist"}}
	inc, err := svc.Get(context.Background(), id)
	if err != nil {
		fmt.Fprintln(os.Stderr, "get:", err)
		return 3
	}
	m := New(deps.Deps{Incidents: svc, DB: db, Actor: svc.Actor}, styles.New(), inc)
	root := typistRoot{m: m, loaded: make(chan struct{}), editing: make(chan struct{}), once1: &sync.Once{}, once2: &sync.Once{}}
	in, keys := io.Pipe()
	p := tea.NewProgram(root, tea.WithInput(in), tea.WithOutput(io.Discard), tea.WithoutSignalHandler())
	go func() {
		if _, err := p.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "program:", err)
			os.Exit(3)
		}
	}()
	p.Send(tea.WindowSizeMsg{Width: 80, Height: 24})
	<-root.loaded
	keys.Write([]byte("\r")) // enter: the first section's editor
	<-root.editing
	fmt.Println("editing")
	for i := 0; ; i++ {
		time.Sleep(typistGap)
		if i == stop {
			fmt.Println("stopped")
			select {}
		}
		if _, err := keys.Write([]byte{typed(i)}); err != nil {
			fmt.Fprintln(os.Stderr, "type:", err)
			return 3
		}
		fmt.Printf("typed %d %d\n", i, time.Now().UnixNano()) // os.Stdout is unbuffered
	}
}

// TestKillWhileTyping: a console typing a character every 50 ms is killed with SIGKILL; what the database
// holds is what was typed, short by at most the last few seconds (the autosave's maxWait, 5 s, plus a
// save's time). Kills at several points of the autosave cycle.
func TestKillWhileTyping(t *testing.T) {
	if testing.Short() {
		t.Skip("types for seconds")
	}
	for _, after := range []time.Duration{4900 * time.Millisecond, 7500 * time.Millisecond, 9900 * time.Millisecond} {
		t.Run(after.String(), func(t *testing.T) {
			t.Parallel()
			killWhileTyping(t, after, -1)
		})
	}
	// Typing stops after 60 characters (3 s); 2.5 s later the debounce has saved everything.
	t.Run("pause", func(t *testing.T) {
		t.Parallel()
		if lost := killWhileTyping(t, 5500*time.Millisecond, 60); lost != 0 {
			t.Fatalf("lost %v of typing although it paused for longer than the debounce", lost)
		}
	})
}

func killWhileTyping(t *testing.T, after time.Duration, stop int) time.Duration {
	e := newEnv(t)
	initial := e.section("summary").Text
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("FIREBREAK_RETRO_TYPIST=%s|%d|%d", e.path, e.inc.ID, stop))
	stderr := &strings.Builder{}
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	sc := bufio.NewScanner(out)
	var times []time.Time
	var start time.Time
	deadline := time.Now().Add(60 * time.Second)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 1 && f[0] == "editing" {
			start = time.Now()
			continue
		}
		if len(f) == 1 && f[0] == "stopped" {
			time.Sleep(after - time.Since(start))
			break
		}
		if len(f) != 3 || f[0] != "typed" {
			continue
		}
		ns, _ := strconv.ParseInt(f[2], 10, 64)
		times = append(times, time.Unix(0, ns))
		if !start.IsZero() && time.Since(start) >= after || time.Now().After(deadline) {
			break
		}
	}
	if start.IsZero() {
		t.Fatalf("the typist never opened the editor: %s", stderr.String())
	}
	killed := time.Now()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	n := len(times)
	var want strings.Builder
	for i := range n {
		want.WriteByte(typed(i))
	}
	s := e.section("summary")
	if stderr.Len() > 0 {
		t.Fatalf("the typist: %s", stderr.String())
	}
	if !strings.HasPrefix(s.Text, initial) {
		t.Fatalf("the saved text does not begin with the draft:\n%q\n%q", s.Text, initial)
	}
	got := s.Text[len(initial):]
	if !strings.HasPrefix(want.String(), got) {
		t.Fatalf("the saved text is not what was typed:\n got %q\nwant %q…", got, want.String())
	}
	k := len(got) // characters saved
	lost := time.Duration(0)
	if k < n {
		lost = killed.Sub(times[k]) // the first character lost was typed this long before the kill
	}
	t.Logf("kill after %v of typing: %d of %d characters saved (version %d); lost the last %v of typing", after, k, n, s.Version, lost.Round(10*time.Millisecond))
	if lost > defaultMaxWait+time.Second {
		t.Fatalf("lost %v of typing, more than maxWait %v + 1 s", lost, defaultMaxWait)
	}
	return lost
}
