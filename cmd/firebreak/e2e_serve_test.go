package main

// End-to-end tests of firebreak serve: the real binary serving on 127.0.0.1, reached with the real OpenSSH
// client (ssh), which trusts exactly the server's host key and offers exactly one key of its own.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/firebreak/firebreak/runbooks/transport/sshtest"
)

// bastion is a firebreak serve started by a test, with the people whose keys it knows.
type bastion struct {
	t          testing.TB
	e          *fbEnv
	port       int
	keys       string // the keys file
	hostKey    string
	knownHosts string // a known_hosts holding the server's host key, and nothing else
	logPath    string
	cmd        *exec.Cmd
	exited     chan struct{}
}

// person is someone with a key of their own.
type person struct {
	name        string
	key         string // the private key file
	line        string // their line in a keys file
	fingerprint string
}

// newPerson creates a key for name in dir.
func newPerson(t testing.TB, dir, name string) person {
	t.Helper()
	path := filepath.Join(dir, "id_"+name)
	pub, err := sshtest.WriteKeyComment(path, name)
	if err != nil {
		t.Fatal(err)
	}
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub))) + " " + name
	return person{name: name, key: path, line: line, fingerprint: ssh.FingerprintSHA256(pub)}
}

// actor is how the timeline records p.
func (p person) actor() string { return "key " + p.fingerprint + " as " + p.name }

// writeKeys writes the keys file with the lines of people.
func (b *bastion) writeKeys(people ...person) {
	b.t.Helper()
	var lines []string
	for _, p := range people {
		lines = append(lines, p.line)
	}
	// Written beside and renamed into place, as an editor or config management does: the server never
	// reads half a file.
	tmp := b.keys + ".new"
	mustWriteFile(b.t, tmp, []byte("# firebreak serve keys\n"+strings.Join(lines, "\n")+"\n"))
	if err := os.Rename(tmp, b.keys); err != nil {
		b.t.Fatal(err)
	}
}

// startServe starts `firebreak serve` in e's environment on a free port of 127.0.0.1, knowing people.
func startServe(t testing.TB, e *fbEnv, people []person, extra ...string) *bastion {
	t.Helper()
	ports, err := sshtest.FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	b := &bastion{t: t, e: e, port: ports[0], keys: filepath.Join(e.root, "keys"), hostKey: filepath.Join(e.root, "hostkey"),
		knownHosts: filepath.Join(e.root, "known_hosts"), logPath: filepath.Join(e.root, fmt.Sprintf("serve-%d.log", ports[0]))}
	b.writeKeys(people...)
	b.start(extra...)
	return b
}

func (b *bastion) start(extra ...string) {
	t := b.t
	t.Helper()
	logf, err := os.Create(b.logPath)
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"serve", "--listen", fmt.Sprintf("127.0.0.1:%d", b.port), "--keys", b.keys, "--host-key", b.hostKey}, extra...)
	b.cmd = b.e.command(context.Background(), args...)
	b.cmd.Stdout, b.cmd.Stderr = logf, logf
	if err := b.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	logf.Close()
	b.exited = make(chan struct{})
	go func() { b.cmd.Wait(); close(b.exited) }()
	t.Cleanup(b.stop)
	waitFor(t, "firebreak serve to listen", 20*time.Second, func() bool {
		select {
		case <-b.exited:
			t.Fatalf("firebreak serve exited: %s", b.log())
		default:
		}
		return strings.Contains(b.log(), "listening on")
	})
	pub := strings.TrimSpace(string(mustReadFile(t, b.hostKey+".pub")))
	mustWriteFile(t, b.knownHosts, []byte(fmt.Sprintf("[127.0.0.1]:%d %s\n", b.port, pub)))
}

// stop stops the server as systemd does (SIGTERM) and waits for it; it is killed if it takes too long.
func (b *bastion) stop() {
	select {
	case <-b.exited:
		return
	default:
	}
	b.cmd.Process.Signal(syscall.SIGTERM)
	start := time.Now()
	select {
	case <-b.exited:
		if took := time.Since(start); took > 5*time.Second {
			b.t.Logf("firebreak serve took %v to stop after SIGTERM:\n%s", took, b.log())
		}
	case <-time.After(40 * time.Second):
		b.cmd.Process.Kill()
		<-b.exited
		b.t.Errorf("firebreak serve did not stop within 40s of SIGTERM:\n%s", b.log())
	}
}

// log is what the server has written to its log (stderr) so far.
func (b *bastion) log() string {
	data, _ := os.ReadFile(b.logPath)
	return string(data)
}

// sshArgs is the OpenSSH command line that reaches the server as p: it trusts only the server's host key
// (StrictHostKeyChecking), offers only p's key (IdentitiesOnly), reads no user config (-F /dev/null) and
// never asks for anything (BatchMode).
func (b *bastion) sshArgs(p person, tty bool, args ...string) []string {
	argv := []string{"ssh", "-F", "/dev/null", "-p", strconv.Itoa(b.port), "-i", p.key,
		"-o", "UserKnownHostsFile=" + b.knownHosts, "-o", "StrictHostKeyChecking=yes", "-o", "IdentitiesOnly=yes",
		"-o", "BatchMode=yes", "-o", "LogLevel=ERROR"}
	if tty {
		argv = append(argv, "-t")
	}
	argv = append(argv, "127.0.0.1")
	if len(args) > 0 {
		argv = append(append(argv, "--"), args...)
	}
	return argv
}

// ssh runs a command over SSH as p and returns what it printed and its exit status. Every argument is
// quoted for the remote side, as with any ssh command line.
func (b *bastion) ssh(p person, stdin string, args ...string) (stdout, stderr string, code int) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := b.sshCmd(ctx, p, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee) && ctx.Err() == nil:
		return out.String(), errb.String(), ee.ExitCode()
	case err != nil:
		b.t.Fatalf("ssh %q: %v (stderr: %s)", args, err, errb.String())
	}
	return out.String(), errb.String(), 0
}

func (b *bastion) sshCmd(ctx context.Context, p person, args ...string) *exec.Cmd {
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = shellQuote(a)
	}
	argv := b.sshArgs(p, false, quoted...)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = b.e.environ()
	return cmd
}

// sshOK runs a command over SSH that must succeed and returns its stdout.
func (b *bastion) sshOK(p person, args ...string) string {
	b.t.Helper()
	stdout, stderr, code := b.ssh(p, "", args...)
	if code != 0 {
		b.t.Fatalf("ssh as %s -- %q: exit %d\nstdout: %s\nstderr: %s\nserver log:\n%s", p.name, args, code, stdout, stderr, b.log())
	}
	return stdout
}

// console opens the console over SSH as p in a w×h tmux window.
func (b *bastion) console(p person, w, h int) *tmuxConsole {
	b.t.Helper()
	return startInTmux(b.t, b.e, w, h, b.sshArgs(p, true)...)
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// servedWorld is an environment with alice and bob, who have keys, and carol, who has one the server
// does not know.
func servedWorld(t *testing.T) (e *fbEnv, alice, bob, carol person) {
	e = newEnv(t)
	dir := filepath.Join(e.root, "people")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return e, newPerson(t, dir, "alice"), newPerson(t, dir, "bob"), newPerson(t, dir, "carol")
}

// TestServeCommandsOverSSH: a command over SSH runs as the key's person with the contract's output and
// exit codes, stdout and stderr apart, stdin passed through; --as does not exist there, and what acts on
// the server's own files is refused.
func TestServeCommandsOverSSH(t *testing.T) {
	e, alice, bob, _ := servedWorld(t)
	b := startServe(t, e, []person{alice, bob})

	inc := strings.TrimSpace(b.sshOK(alice, "declare", "checkout is down", "--sev", "2"))
	if inc != "INC-1" {
		t.Fatalf("declare over SSH printed %q, want INC-1 alone", inc)
	}
	if out := b.sshOK(bob, "note", inc, "it's the payment gateway"); !strings.Contains(out, "note added") {
		t.Errorf("note over SSH printed %q", out)
	}
	summary := "The gateway's certificate expired.\nWe renewed it.\n"
	b.ssh(alice, summary, "retro", "set", inc, "summary", "-")
	evs := e.timeline(inc)
	if len(evs) != 3 {
		t.Fatalf("%d events, want declared, note, retro: %+v", len(evs), evs)
	}
	for i, want := range []string{alice.actor(), bob.actor(), alice.actor()} {
		if evs[i].Actor != want {
			t.Errorf("event %d (%s) by %q, want %q", evs[i].Seq, evs[i].Kind, evs[i].Actor, want)
		}
	}
	if got := b.sshOK(bob, "retro", "show", inc); !strings.Contains(got, summary) {
		t.Errorf("the summary set from stdin over SSH:\n%s", got)
	}

	// Exit codes and streams, as the contract says, for each kind of outcome.
	stdout, stderr, code := b.ssh(alice, "", "show", "INC-99")
	wantError(t, "show of an unknown incident over SSH", stdout, stderr, code, 2, "INC-99")
	b.sshOK(alice, "retro", "set", inc, "went-wrong", "It was Dave's fault, he should have renewed it.")
	stdout, stderr, code = b.ssh(alice, "", "retro", "check", inc)
	if code != 1 || !strings.Contains(stdout, "went-wrong") {
		t.Errorf("retro check with blaming words over SSH: exit %d, want 1\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	stdout, stderr, code = b.ssh(alice, "", "list", "--json")
	if code != 0 || !strings.HasPrefix(stdout, "[") || stderr != "" {
		t.Errorf("list --json over SSH: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}

	// Refused: choosing who you are, the database or the config; the server's own files and commands.
	before := len(e.timeline(inc))
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"--as", "bob", "note", inc, "from alice, claiming to be bob"}, "--as does not exist over SSH"},
		{[]string{"note", inc, "x", "--db", filepath.Join(e.root, "other.db")}, "--db does not exist over SSH"},
		{[]string{"--config", "/etc/passwd", "list"}, "--config does not exist over SSH"},
		{[]string{"backup", filepath.Join(e.root, "copy.db")}, "backup over SSH"},
		{[]string{"restore", filepath.Join(e.root, "copy.db")}, "restore over SSH"},
		{[]string{"migrate", "--to", filepath.Join(e.root, "copy.db")}, "migrate over SSH"},
		{[]string{"serve"}, "serve over SSH"},
		{[]string{"completion", "bash"}, "completion over SSH"},
		{[]string{"man", e.root}, "man over SSH"},
		{[]string{"export", inc, "-o", filepath.Join(e.root, "x.md")}, "-o writes a file on the server"},
		{[]string{"hosts", "all", "-i", "/etc/hosts"}, "-i /etc/hosts over SSH"},
		{[]string{"runbook", "lint", "/etc/passwd"}, "runbook lint PATH over SSH"},
		{[]string{"audit", "verify", inc, "--against", "/etc/passwd"}, "--against reads a file on the server"},
	} {
		stdout, stderr, code := b.ssh(alice, "", c.args...)
		wantError(t, fmt.Sprintf("%q over SSH", c.args), stdout, stderr, code, 2, c.says)
	}
	if after := len(e.timeline(inc)); after != before {
		t.Errorf("refused commands wrote %d events", after-before)
	}
	for _, f := range []string{"copy.db", "other.db", "x.md"} {
		if _, err := os.Stat(filepath.Join(e.root, f)); err == nil {
			t.Errorf("a refused command over SSH created %s", f)
		}
	}
	// Nothing but sessions: no port forwarding, no subsystem (sftp), so no way into the server's network
	// or files.
	for _, extra := range [][]string{{"-W", fmt.Sprintf("127.0.0.1:%d", b.port)}, {"-s"}} {
		argv := b.sshArgs(alice, false)
		argv = append(append(argv[:len(argv)-1], extra...), "127.0.0.1")
		if extra[0] == "-s" {
			argv = append(argv, "sftp")
		}
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Env = e.environ()
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 255 {
			t.Errorf("ssh %s: %v, want exit 255 (refused)\n%s", extra[0], err, out)
		}
	}
	// What a person sees over SSH is what the command line prints locally.
	if remote, local := b.sshOK(bob, "timeline", inc), e.ok("timeline", inc); remote != local {
		t.Errorf("timeline over SSH differs from the local one:\nSSH:\n%s\nlocal:\n%s", remote, local)
	}
	// Every session is in the server's log: who, their key, from where, how long.
	log := b.log()
	for _, want := range []string{"session start: alice (key " + alice.fingerprint + ") from 127.0.0.1:",
		"session ended: bob (key " + bob.fingerprint + ") from 127.0.0.1:", ": command retro set, exit 0, after ",
		": command show, exit 2, after "} {
		if !strings.Contains(log, want) {
			t.Errorf("the server log lacks %q:\n%s", want, log)
		}
	}
	// ... and never what was typed: a note's text, a variable's value.
	if strings.Contains(log, "payment gateway") || strings.Contains(log, "INC-99") {
		t.Errorf("the server log holds a command's arguments:\n%s", log)
	}
}

// TestServeUnknownKeyRefused: a key that is not in the keys file gets no session: nothing is printed but
// OpenSSH's refusal, nothing is recorded, and the server logs the key it refused.
func TestServeUnknownKeyRefused(t *testing.T) {
	e, alice, _, carol := servedWorld(t)
	b := startServe(t, e, []person{alice})
	inc := strings.TrimSpace(b.sshOK(alice, "declare", "a quiet incident"))
	stdout, stderr, code := b.ssh(carol, "", "note", inc, "carol was here")
	if code != 255 || stdout != "" || !strings.Contains(stderr, "Permission denied (publickey)") {
		t.Errorf("an unknown key: exit %d, want 255 (ssh refused)\nstdout: %q\nstderr: %q", code, stdout, stderr)
	}
	// The console is refused the same way, before any screen: no pty output at all.
	c := b.console(carol, 80, 24)
	waitFor(t, "the ssh client to give up", 15*time.Second, func() bool { return c.exitStatus() != "" })
	if st, s := c.exitStatus(), c.screen(); st != "255" || strings.Contains(s, "firebreak") || strings.Contains(s, "incident") {
		t.Errorf("the console of an unknown key: ssh exited %s, want 255 (refused), and the screen shows:\n%s", st, s)
	}
	if n := len(e.timeline(inc)); n != 1 {
		t.Errorf("%d events after an unknown key's attempts, want 1", n)
	}
	// The banner names the incident console, before any authentication (OpenSSH shows it at LogLevel INFO).
	argv := b.sshArgs(carol, false, "list")
	for i, a := range argv {
		if a == "LogLevel=ERROR" {
			argv[i] = "LogLevel=INFO"
		}
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = e.environ()
	out, _ := cmd.CombinedOutput()
	if !strings.Contains(string(out), "firebreak incident console on ") || !strings.Contains(string(out), "Permission denied") {
		t.Errorf("ssh at LogLevel INFO printed no banner:\n%s", out)
	}
	if !strings.Contains(b.log(), "refused the key "+carol.fingerprint+" from 127.0.0.1:") {
		t.Errorf("the server log does not name the refused key:\n%s", b.log())
	}
}

// TestServeTwoPeopleByKey: alice and bob each in a console over SSH (two tmux sessions) on one server.
// Each one's note is attributed to their key and seen live by the other; a run alice starts waits for a
// second person, alice's key cannot approve it (not even renamed in the keys file), bob's can; and bob's
// `!` halts the run alice started in her console.
func TestServeTwoPeopleByKey(t *testing.T) {
	e, alice, bob, _ := servedWorld(t)
	f := sshtest.Start(t, 3)
	// The server's config: the fleet's inventory, and working hours that never are (a real run needs the
	// typed confirmation whatever the clock says).
	cfg := fmt.Sprintf("inventories = [%q]\n[hours]\ndays = []\n", f.Inventory)
	mustWriteFile(t, filepath.Join(e.work, "firebreak.toml"), []byte(cfg))
	os.MkdirAll(filepath.Join(e.work, "runbooks"), 0o755)
	mustWriteFile(t, filepath.Join(e.work, "runbooks", "e2e.toml"), []byte(fmt.Sprintf(`id = "e2e-sleep"
title = "Sleep on every host"

[[steps]]
id = "sleep"
title = "Sleep a while"
targets = "all"
stages = "1,100%%"
script = '''
if [ "${FIREBREAK_DRY_RUN:-0}" = 1 ]; then echo "dry run on $FIREBREAK_HOST"; exit 0; fi
echo $$ > "%s/pid-$FIREBREAK_HOST"
sleep 120
'''
`, e.root)))
	b := startServe(t, e, []person{alice, bob})

	// The runbook is attached and dry-run over SSH; then each opens the incident in a console.
	inc := strings.TrimSpace(b.sshOK(alice, "declare", "the fleet needs a nap", "--sev", "3"))
	b.sshOK(alice, "attach", inc, "e2e-sleep")
	b.sshOK(alice, "run", inc, "--runbook", "e2e-sleep", "--step", "sleep", "--hosts", "all", "--dry-run", "--yes")
	ca := b.console(alice, 110, 32)
	cb := b.console(bob, 110, 32)
	ca.waitFor(15*time.Second, inc, "the fleet needs a nap")
	cb.waitFor(15*time.Second, inc, "the fleet needs a nap")
	ca.keys("Enter")
	cb.keys("Enter")
	ca.waitFor(15*time.Second, "Sleep a while")
	cb.waitFor(15*time.Second, "Sleep a while")

	// Notes from each console, attributed by key and seen live by the other.
	ca.keys("Tab")
	cb.keys("Tab")
	ca.waitFor(15*time.Second, "[Timeline]")
	cb.waitFor(15*time.Second, "[Timeline]")
	ca.keys(":")
	ca.text("alice looked at the graphs")
	ca.keys("Enter")
	took := cb.waitFor(5*time.Second, "alice looked at the graphs")
	t.Logf("alice's note reached bob's console after %s", took.Round(time.Millisecond))
	cb.keys(":")
	cb.text("bob paged the database team")
	cb.keys("Enter")
	ca.waitFor(5*time.Second, "bob paged the database team")
	notes := map[string]string{}
	for _, ev := range e.timeline(inc) {
		if ev.Kind == "note" {
			notes[ev.Text] = ev.Actor
		}
	}
	if notes["alice looked at the graphs"] != alice.actor() || notes["bob paged the database team"] != bob.actor() {
		t.Fatalf("the notes' actors: %q, want alice's and bob's keys", notes)
	}

	// alice starts the real run in her console, and bob's ! halts it.
	ca.keys("BTab")
	ca.waitFor(15*time.Second, "Sleep a while")
	ca.keys("r")
	ca.waitFor(15*time.Second, "DRY RUN", "3 of 3 matched hosts selected")
	ca.keys("C-d")
	ca.waitFor(15*time.Second, "REAL RUN")
	ca.keys("Enter")
	ca.waitFor(15*time.Second, "canary", "working hours")
	ca.keys("s")
	ca.waitFor(15*time.Second, "outside working hours. Type "+inc)
	ca.text(inc)
	ca.keys("Enter")
	pidFile := filepath.Join(e.root, "pid-host01")
	waitFor(t, "the canary to start on host01", 30*time.Second, func() bool {
		if ca.dead() {
			t.Fatalf("alice's console died:\n%s\nserver log:\n%s", ca.screen(), b.log())
		}
		return fileHasPID(pidFile)()
	})
	ca.waitFor(15*time.Second, "running")
	var started string
	for _, ev := range e.timeline(inc) {
		if ev.Kind == "run_started" {
			started = ev.Actor
		}
	}
	if started != alice.actor() {
		t.Errorf("the run from alice's console was started by %q, want %q", started, alice.actor())
	}
	start := time.Now()
	cb.keys("!")
	cb.waitFor(5*time.Second, "HALTED by")
	waitFor(t, "the remote command of alice's run to be killed", 10*time.Second, func() bool { return !pidAlive(pidFile) })
	t.Logf("bob's ! to alice's remote command gone: %v", time.Since(start))
	ca.waitFor(5*time.Second, "HALTED")
	waitFor(t, "the run to show halted", 10*time.Second, func() bool { return strings.Contains(e.ok("runs", inc), "halted") })
	var haltBy string
	for _, ev := range e.timeline(inc) {
		if ev.Kind == "halt" {
			haltBy = ev.Actor
		}
	}
	if haltBy != bob.actor() {
		t.Errorf("the halt was recorded as %q, want bob's key %q", haltBy, bob.actor())
	}
	if _, err := os.Stat(filepath.Join(e.root, "pid-host02")); err == nil {
		t.Error("the stage after the canary started")
	}
	b.sshOK(bob, "resume", "--reason", "the nap is over")
	ca.checkWidth(110)
	cb.checkWidth(110)
}

// TestServeTwoPersonRuleByKey: on a SEV2 incident a run started over SSH by alice's key waits after its
// canary for another person. Her key cannot approve it, over SSH or in her console (which never offers
// it); a second key of hers cannot either (same name); bob approves it in his console, and the approval
// records his key. (The same key renamed in the keys file is the starter too:
// rollout's TestCheckApproval; here a renamed key ends the session that drives the run.)
func TestServeTwoPersonRuleByKey(t *testing.T) {
	e, alice, bob, carol := servedWorld(t)
	inv := localFleet(t, e.root, 3)
	mustWriteFile(t, filepath.Join(e.work, "firebreak.toml"), []byte(fmt.Sprintf("inventories = [%q]\n", inv)))
	b := startServe(t, e, []person{alice, bob})
	inc := strings.TrimSpace(b.sshOK(alice, "declare", "replication lag", "--sev", "2"))
	ran := filepath.Join(e.root, "ran")
	script := fmt.Sprintf(`[ "$FIREBREAK_DRY_RUN" = 1 ] && exit 0; echo "$FIREBREAK_HOST" >> %s`, ran)
	b.sshOK(alice, "run", inc, "--command", script, "--hosts", "all", "--dry-run", "--stages", "1,100%", "--yes")

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	bg := b.sshCmd(ctx, alice, "run", inc, "--command", script, "--hosts", "all", "--stages", "1,100%", "--yes", "--confirm-out-of-hours")
	var out lockedBuf
	bg.Stdout, bg.Stderr = &out, &out
	if err := bg.Start(); err != nil {
		t.Fatal(err)
	}
	run := e.waitingRun(inc)

	refused := func(who person, what string) {
		t.Helper()
		stdout, stderr, code := b.ssh(who, "", "approve", run, "--yes")
		if code != 2 || !strings.Contains(stderr, "cannot approve it too") {
			t.Errorf("%s: exit %d, want 2 and a refusal\nstdout: %s\nstderr: %s", what, code, stdout, stderr)
		}
	}
	refused(alice, "alice approving her own run")
	// Another key with alice's name: the same person.
	otherAlice := carol
	otherAlice.name = "alice"
	otherAlice.line = strings.TrimSuffix(carol.line, " carol") + " alice"
	b.writeKeys(alice, otherAlice, bob)
	waitFor(t, "alice's second key to be read", 5*time.Second, func() bool {
		_, _, code := b.ssh(otherAlice, "", "version")
		return code == 0
	})
	refused(otherAlice, "another key named alice approving alice's run")
	if got := hostsRan(t, ran); got["h0002"] != 0 || got["h0003"] != 0 {
		t.Fatalf("hosts ran before an approval: %v", got)
	}

	// In her console, alice's Enter on her own waiting run shows its hosts, never the approval; in bob's
	// console it asks, and y approves.
	ca := b.console(alice, 120, 32)
	cb := b.console(bob, 120, 32)
	for _, c := range []*tmuxConsole{ca, cb} {
		c.waitFor(15*time.Second, inc)
		c.keys("Enter")
		c.waitFor(15*time.Second, run+" waits for approval")
		c.keys("Tab", "Tab")
		c.waitFor(15*time.Second, "[Runs 2]", run+"   real waiting (approval)")
		c.keys("Down", "Enter") // RUN-1 (the dry run) is first
	}
	ca.waitFor(15*time.Second, "h0002")
	if s := ca.screen(); strings.Contains(s, "Approve "+run) {
		t.Fatalf("alice's console offers her the approval of her own run:\n%s", s)
	}
	cb.waitFor(15*time.Second, "Approve "+run, "started by key SHA256:", "y yes")
	cb.keys("y")
	if err := bg.Wait(); err != nil {
		t.Fatalf("alice's run after bob's approval: %v\n%s", err, out.String())
	}
	if got := hostsRan(t, ran); got["h0001"] != 1 || got["h0002"] != 1 || got["h0003"] != 1 {
		t.Fatalf("after bob's approval: %v", got)
	}
	var approvals []tlEvent
	for _, ev := range e.timeline(inc) {
		if ev.Kind == "approved" {
			approvals = append(approvals, ev)
		}
	}
	if len(approvals) != 1 || approvals[0].Actor != bob.actor() || !strings.Contains(string(approvals[0].Data), alice.fingerprint) {
		t.Fatalf("approvals: %+v, want one by %q of a run started by alice's key", approvals, bob.actor())
	}
}

// lockedBuf is a buffer an exec.Cmd's two output copiers may write to at once.
type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestServeKeysFileChanges: a key added to the keys file works at the next connection, and removing a
// key ends its person's open console and command at once, without a restart; others go on.
func TestServeKeysFileChanges(t *testing.T) {
	e, alice, bob, carol := servedWorld(t)
	b := startServe(t, e, []person{alice, bob})
	inc := strings.TrimSpace(b.sshOK(alice, "declare", "keys change"))
	if _, _, code := b.ssh(carol, "", "list"); code != 255 {
		t.Fatalf("carol before her key was added: exit %d, want 255", code)
	}
	b.writeKeys(alice, bob, carol)
	waitFor(t, "carol's new key to work", 5*time.Second, func() bool {
		_, _, code := b.ssh(carol, "", "note", inc, "carol joined")
		return code == 0
	})

	ca := b.console(alice, 80, 24)
	cb := b.console(bob, 80, 24)
	ca.waitFor(15*time.Second, inc)
	cb.waitFor(15*time.Second, inc)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	follow := b.sshCmd(ctx, bob, "timeline", inc, "--follow")
	var out lockedBuf
	follow.Stdout, follow.Stderr = &out, &out
	if err := follow.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "bob's follow to print the timeline", 10*time.Second, func() bool { return strings.Contains(out.String(), "carol joined") })

	removed := time.Now()
	b.writeKeys(alice, carol)
	waitFor(t, "bob's console to end", 5*time.Second, cb.dead)
	t.Logf("bob's console ended %v after his key was removed", time.Since(removed).Round(time.Millisecond))
	if s := cb.screen(); !strings.Contains(s, "your key was removed from the server's keys file") || strings.Contains(s, "killed") {
		t.Errorf("bob's console ended without saying why:\n%s", s)
	}
	done := make(chan error, 1)
	go func() { done <- follow.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("bob's timeline --follow goes on after his key was removed:\n%s", out.String())
	}
	if _, _, code := b.ssh(bob, "", "list"); code != 255 {
		t.Errorf("bob after his key was removed: exit %d, want 255", code)
	}
	if ca.dead() {
		t.Fatalf("alice's console ended too:\n%s", ca.screen())
	}
	b.sshOK(alice, "note", inc, "alice is still here")
	ca.waitFor(5*time.Second, inc)
	if !strings.Contains(b.log(), "ending the session of bob (key "+bob.fingerprint+")") {
		t.Errorf("the server log does not say it ended bob's sessions:\n%s", b.log())
	}
}

// TestServeConsoleSizeAndIdle: the console takes the client's terminal size and follows its resizes; the
// host key is created 0600 once and kept across restarts; a console nobody types in ends after --idle.
func TestServeConsoleSizeAndIdle(t *testing.T) {
	e, alice, _, _ := servedWorld(t)
	b := startServe(t, e, []person{alice})
	st, err := os.Stat(b.hostKey)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("the host key: %v, mode %v, want 0600", err, st.Mode().Perm())
	}
	inc := strings.TrimSpace(b.sshOK(alice, "declare", "Disk full on web-07"))
	c := b.console(alice, 100, 30)
	c.waitFor(15*time.Second, "firebreak · incidents", inc+" ", "! HALT")
	c.checkWidth(100)
	c.tmux("resize-window", "-t", c.session, "-x", "40", "-y", "10")
	c.waitFor(5*time.Second, inc)
	time.Sleep(200 * time.Millisecond)
	c.checkWidth(40)
	if s := c.screen(); strings.Contains(s, "Disk full on web-07") {
		t.Errorf("at 40 columns the full title still shows: the console did not follow the resize:\n%s", s)
	}
	c.tmux("resize-window", "-t", c.session, "-x", "120", "-y", "30")
	c.waitFor(5*time.Second, inc, "Disk full on web-07")
	c.checkWidth(120)

	// Stopping the server ends the consoles, saying so; the host key is kept: after a restart the client
	// still trusts the server.
	fp := hostFingerprint(t, b.hostKey)
	b.stop()
	waitFor(t, "the console to end with the server", 5*time.Second, c.dead)
	if s := c.screen(); !strings.Contains(s, "the server is stopping") || strings.Contains(s, "killed") {
		t.Errorf("the console ended by the server's stop does not say why:\n%s", s)
	}
	b.start("--idle", "3s")
	if got := hostFingerprint(t, b.hostKey); got != fp {
		t.Fatalf("the host key changed across a restart: %s, then %s", fp, got)
	}

	// With --idle 3s a console nobody types in ends 3 s after the last key.
	c2 := b.console(alice, 80, 24)
	c2.waitFor(15*time.Second, inc)
	typed := time.Now()
	c2.keys("?")
	waitFor(t, "the idle console to end", 15*time.Second, c2.dead)
	if idle := time.Since(typed); idle < 3*time.Second {
		t.Errorf("the console ended %v after a key, before --idle 3s", idle)
	}
	if s := c2.screen(); !strings.Contains(s, "nothing typed for 3s") || strings.Contains(s, "killed") {
		t.Errorf("the idle console ended without saying why:\n%s", s)
	}
	// Ended as asked, the console quits cleanly: not an error of its own.
	clean := false
	for _, l := range strings.Split(b.log(), "\n") {
		clean = clean || strings.Contains(l, "(the server's --idle): alice (key "+alice.fingerprint+") from 127.0.0.1:") &&
			strings.Contains(l, ": console, exit 0, after ")
	}
	if !clean {
		t.Errorf("the server log does not record the idle console's clean end:\n%s", b.log())
	}
}

func hostFingerprint(t *testing.T, path string) string {
	t.Helper()
	pub, _, _, _, err := ssh.ParseAuthorizedKey(mustReadFile(t, path+".pub"))
	if err != nil {
		t.Fatal(err)
	}
	return ssh.FingerprintSHA256(pub)
}

// TestServeRateLimit: more connections a minute from one address than --rate are refused before the
// handshake, and logged.
func TestServeRateLimit(t *testing.T) {
	e, alice, _, _ := servedWorld(t)
	b := startServe(t, e, []person{alice}, "--rate", "3")
	for i := 0; i < 3; i++ {
		b.sshOK(alice, "version")
	}
	_, stderr, code := b.ssh(alice, "", "version")
	if code != 255 {
		t.Fatalf("the 4th connection within a minute with --rate 3: exit %d, want 255 (refused)\n%s", code, stderr)
	}
	if !strings.Contains(b.log(), "more than 3 a minute from that address (--rate)") {
		t.Errorf("the server log does not record the refusal:\n%s", b.log())
	}
}

// TestServeNotifyHooks: what a person does over SSH reaches the notify hooks as from a local firebreak,
// with the key on the event.
func TestServeNotifyHooks(t *testing.T) {
	e, alice, _, _ := servedWorld(t)
	out := filepath.Join(e.root, "hook.jsonl")
	mustWriteFile(t, filepath.Join(e.work, "firebreak.toml"), []byte(`
[[notify]]
events = ["note"]
command = ["sh", "-c", `+tomlQuote(`cat >> "$0"; echo >> "$0"`)+`, `+tomlQuote(out)+`]
`))
	b := startServe(t, e, []person{alice})
	inc := strings.TrimSpace(b.sshOK(alice, "declare", "hooks over SSH"))
	b.sshOK(alice, "note", inc, "the hook hears this")
	waitFor(t, "the hook to get the note", 15*time.Second, func() bool {
		data, _ := os.ReadFile(out)
		return strings.Contains(string(data), "the hook hears this")
	})
	if data := string(mustReadFile(t, out)); !strings.Contains(data, `"actor":"`+alice.actor()+`"`) {
		t.Errorf("the hook's event does not carry alice's key:\n%s", data)
	}
}
