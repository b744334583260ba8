// Command scalebench measures fan-out at fleet scale (tracker issue 16): on a simulated fleet of thousands
// of SSH hosts on loopback, the wall time, client CPU per host and peak RSS of a cold `firebreak run` after
// its dry run, against a bare golang.org/x/crypto/ssh client doing the least any SSH fan-out must (the
// floor), in the same process run, and the ratio between them:
//
//	go run ./runbooks/rollout/scalebench                                  # 1,000, 3,000 and 10,000 hosts
//	go run ./runbooks/rollout/scalebench -hosts 1000,3000 -concurrency 50
//	go run ./runbooks/rollout/scalebench -hosts 1000 -rtt 20ms -rtt-hosts 1000 -rtt-concurrency 200
//	go run ./runbooks/rollout/scalebench -hosts '' -rtt 0 -halt 200       # only the halt measurement
//
// Targets (issue 16): wall ≤ 1.15 × the floor, client CPU ≤ 2 ms per host, peak RSS ≤ 120 MB (at 10,000
// hosts; checked at every size, since memory should be bounded by concurrency), halt with 200 hosts in
// flight within 1 s. Exit status 0 when every measured row meets them, 3 when one misses, 1 on errors.
//
// The fleet: this binary re-executed with -role fleet serves every host of one size from one process,
// each host a 127.0.0.1 port with a golang.org/x/crypto/ssh server (one ed25519 host key, public-key auth
// with a generated user key; exec runs /bin/bash -c in a new session via setsid, exit status returned,
// "signal" delivered to the process group, stdin closed when the client closes it, as sshd does; with -rtt
// every packet the server sends is delayed). The bench raises RLIMIT_NOFILE for itself and its children as
// far as it may (10,000 hosts need 10,000 listeners plus up to 10,000 connections); where the hard limit
// stays lower (no CAP_SYS_RESOURCE), the fleet is split over several such processes. It writes a throwaway directory
// (-keep DIR keeps it): the host and user keys, HOME/.ssh/known_hosts with a [127.0.0.1]:PORT line per host,
// HOME/.ssh/id_ed25519, and inventory-N.ini (Ansible INI: hostNNNNN ansible_host=127.0.0.1
// ansible_port=PORT), which firebreak reads as any user's setup: the key and known_hosts from ~/.ssh.
//
// The transport: this binary re-executed with -role transport: firebreak's own SSH layer
// (runbooks/transport, the inventory and ssh_config loaded as firebreak loads them) running `true` on
// every host at the same concurrency, closing each host's connection when it is done, recording nothing.
// It sits between the two: the floor to the transport is what firebreak's remote command (the wrapper with
// its dead-man's switch) costs, the transport to firebreak what the rollout engine and the record cost.
//
// The floor: this binary re-executed with -role floor: for every host at the same concurrency, dial,
// verify the host key against that known_hosts (parsed once into an index by address with x/crypto/ssh's
// parser and knownhosts.Normalize; knownhosts.New scans every line per host), authenticate, run `true`,
// close.
//
// firebreak: the real binary (go build ./cmd/firebreak, or -firebreak PATH), with HOME, XDG_* and the
// working directory in the bench directory, no ssh-agent, a fresh SQLite database per measurement:
//
//	firebreak --db DB --as bench declare 'scale benchmark' --sev 3 --drill
//	firebreak --db DB --as bench run INC-1 --command true --hosts all -i INV --concurrency C --dry-run --yes
//	firebreak --db DB --as bench run INC-1 --command true --hosts all -i INV --concurrency C --stages 100% --yes --break-glass bench
//
// and only the last is measured. For both the floor and firebreak, wall time is measured around the child
// process, client CPU is its user+system time and peak RSS its maxrss, as wait4 reports them (the process
// and every descendant it waited for). The fleet's own CPU per host during each run is shown too (the
// server half shares the machine: when it dominates, wall time measures the server). The load average
// before and after is printed: run it on a quiet machine. -rounds R measures each side R times (fresh
// database each time, alternating which goes first) and shows the median.
//
// The RTT line: a separate fleet of -rtt-hosts hosts delaying every packet by -rtt, both sides at
// -rtt-concurrency. The halt line (-halt N, 0 to skip): N hosts each running `sleep 300` under one
// firebreak run at concurrency N, then `firebreak halt` from another process, -halt-rounds times; from
// starting that process (seen in /proc, polled every 10 ms): until every host's script is dead (no process
// left in the process group the command runs in: the target), until the halt command exited, until the
// halted run exited having recorded every host, and until every process of the hosts' sessions is gone (the
// wrapper's watchers too, which after the kill wait out the grace while the host's init has not yet reaped
// the killed processes).
package main

import (
	"bytes"
	"cmp"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"golang.org/x/crypto/ssh"
)

var errMissed = errors.New("firebreak misses a target")

// The targets of issue 16.
const (
	targetRatio    = 1.15
	targetCPUms    = 2.0
	targetRSSMB    = 120.0
	targetHaltSecs = 1.0
)

func main() {
	role := flag.String("role", "", "internal: fleet, floor or transport (the bench's child processes)")
	invFlag := flag.String("inventory", "", "internal: the inventory for -role transport")
	dir := flag.String("dir", "", "internal: the bench directory")
	n := flag.Int("n", 0, "internal: hosts for -role fleet")
	userKey := flag.String("user-key", "", "internal: the authorized public key for -role fleet")

	hostList := flag.String("hosts", "1000,3000,10000", "fleet sizes to measure, comma-separated (empty for none)")
	conc := flag.Int("concurrency", 50, "hosts at once, for both sides")
	rtt := flag.Duration("rtt", 20*time.Millisecond, "with the server's delay per packet, one more line (0 to skip); with -role fleet, the fleet's delay")
	rttHosts := flag.Int("rtt-hosts", 1000, "hosts for the -rtt line")
	rttConc := flag.Int("rtt-concurrency", 200, "concurrency for the -rtt line")
	halt := flag.Int("halt", 200, "hosts in flight for the halt measurement (0 to skip)")
	haltRounds := flag.Int("halt-rounds", 3, "halt measurements")
	rounds := flag.Int("rounds", 1, "measurements per side and size (the median is shown)")
	fbBin := flag.String("firebreak", "", "firebreak binary (default: go build ./cmd/firebreak, from the repository root)")
	keep := flag.String("keep", "", "use this directory and keep it afterwards")
	verbose := flag.Bool("v", false, "print every measurement as it happens")
	flag.Parse()

	var err error
	switch *role {
	case "fleet":
		err = serveFleet(*dir, *n, *rtt, *userKey)
	case "floor":
		err = runFloor(*dir, os.Getenv("HOME"), *conc)
	case "transport":
		err = runTransport(*invFlag, filepath.Join(*dir, "ssh_config"), os.Getenv("HOME"), *conc)
	case "":
		var sizes []int
		for _, s := range strings.Split(*hostList, ",") {
			if s = strings.TrimSpace(strings.ReplaceAll(s, "_", "")); s == "" {
				continue
			}
			v, perr := strconv.Atoi(s)
			if perr != nil || v < 1 {
				fmt.Fprintf(os.Stderr, "scalebench: bad -hosts entry %q\n", s)
				os.Exit(2)
			}
			sizes = append(sizes, v)
		}
		b := &bench{conc: *conc, rounds: max(*rounds, 1), fbBin: *fbBin, verbose: *verbose}
		err = b.run(*keep, sizes, *rtt, *rttHosts, *rttConc, *halt, *haltRounds)
	default:
		err = fmt.Errorf("unknown -role %q", *role)
	}
	if errors.Is(err, errMissed) {
		os.Exit(3)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "scalebench:", err)
		os.Exit(1)
	}
}

type bench struct {
	dir, home, fbBin string
	env              []string
	userPub          string
	conc, rounds     int
	verbose, keep    bool
	seq              int // numbers the databases
}

// sample is one measured child process.
type sample struct {
	wall, cpu, server time.Duration
	rssKB             int64
}

// row is one line of the table.
type row struct {
	label       string
	hosts, conc int
	fb, floor   sample
	tr          sample // firebreak's transport layer alone (runTransport)
	err         error
}

func (b *bench) run(keep string, sizes []int, rtt time.Duration, rttHosts, rttConc, haltN, haltRounds int) error {
	if keep != "" {
		if err := os.MkdirAll(keep, 0o755); err != nil {
			return err
		}
		b.dir, _ = filepath.Abs(keep)
		b.keep = true
	} else {
		d, err := os.MkdirTemp("", "firebreak-scalebench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		b.dir = d
	}
	most := max(rttHosts, haltN)
	for _, s := range sizes {
		most = max(most, s)
	}
	// Listeners and connections in the fleet, connections, logs and the database in firebreak.
	raiseNoFile(uint64(3*most + 8192))

	b.home = filepath.Join(b.dir, "home")
	if err := os.MkdirAll(filepath.Join(b.home, ".ssh"), 0o700); err != nil {
		return err
	}
	b.env = cleanEnv(b.home)
	if b.fbBin == "" {
		b.fbBin = filepath.Join(b.dir, "firebreak")
		fmt.Fprintln(os.Stderr, "scalebench: building cmd/firebreak")
		c := exec.Command("go", "build", "-o", b.fbBin, "./cmd/firebreak")
		c.Stdout, c.Stderr = os.Stderr, os.Stderr
		if err := c.Run(); err != nil {
			return fmt.Errorf("go build ./cmd/firebreak (run the bench from the repository root): %w", err)
		}
	}
	hostPub, err := writeKey(filepath.Join(b.dir, "hostkey"), "scalebench-host")
	if err != nil {
		return err
	}
	if _, err := writeKey(filepath.Join(b.home, ".ssh", "id_ed25519"), "scalebench-user"); err != nil {
		return err
	}
	b.userPub = filepath.Join(b.home, ".ssh", "id_ed25519.pub")
	// firebreak (as OpenSSH) takes ~/.ssh from the passwd entry, not $HOME: its config names an ssh_config
	// that points at the bench's key and known_hosts.
	sshConfig := filepath.Join(b.dir, "ssh_config")
	cfg := fmt.Sprintf("Host *\n  IdentityFile %s\n  UserKnownHostsFile %s\n  StrictHostKeyChecking yes\n",
		filepath.Join(b.home, ".ssh", "id_ed25519"), filepath.Join(b.home, ".ssh", "known_hosts"))
	if err := os.WriteFile(sshConfig, []byte(cfg), 0o600); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(b.home, ".config", "firebreak"), 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(b.home, ".config", "firebreak", "config.toml"), []byte(fmt.Sprintf("ssh_config = %q\n", sshConfig)), 0o600); err != nil {
		return err
	}
	hostLine := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(hostPub)))

	load0 := loadavg()
	fmt.Fprintf(os.Stderr, "scalebench: load average %s, %d CPUs, directory %s\n", load0, runtime.NumCPU(), b.dir)
	var rows []row
	measure := func(label string, n, conc int, rtt time.Duration) error {
		fmt.Fprintf(os.Stderr, "scalebench: %s: starting %d hosts\n", label, n)
		f, err := startFleet(b.dir, n, rtt, b.userPub)
		if err != nil {
			return err
		}
		defer f.stop()
		inv, err := b.writeFleetFiles(f, n, hostLine)
		if err != nil {
			return err
		}
		var fbs, fls, trs []sample
		for r := 0; r < b.rounds; r++ {
			sides := []func() error{
				func() error { s, err := b.floor(f, conc); fls = append(fls, s); return err },
				func() error { s, err := b.transport(f, inv, conc); trs = append(trs, s); return err },
				func() error { s, err := b.firebreak(f, inv, conc); fbs = append(fbs, s); return err },
			}
			if r%2 == 1 {
				slices.Reverse(sides)
			}
			for _, side := range sides {
				if err := side(); err != nil {
					return err
				}
			}
			if b.verbose {
				fmt.Fprintf(os.Stderr, "scalebench: %s round %d: firebreak %s; transport %s; floor %s (load %s)\n", label, r+1, fbs[r], trs[r], fls[r], loadavg())
			}
		}
		rows = append(rows, row{label: label, hosts: n, conc: conc, fb: median(fbs), floor: median(fls), tr: median(trs)})
		return nil
	}
	// A size that fails is reported in the table (and fails the bench) but does not stop the others.
	var failures []string
	failed := func(label string, n, conc int, err error) {
		fmt.Fprintf(os.Stderr, "scalebench: %s: %v\n", label, err)
		rows = append(rows, row{label: label, hosts: n, conc: conc, err: err})
		failures = append(failures, label)
	}
	for _, n := range sizes {
		label := fmt.Sprintf("%s hosts", thousands(n))
		if err := measure(label, n, b.conc, 0); err != nil {
			failed(label, n, b.conc, err)
		}
	}
	if rtt > 0 && rttHosts > 0 {
		label := fmt.Sprintf("%s hosts, %s/packet", thousands(rttHosts), rtt)
		if err := measure(label, rttHosts, rttConc, rtt); err != nil {
			failed(label, rttHosts, rttConc, err)
		}
	}
	var halts []haltSample
	var haltErr error
	if haltN > 0 && haltRounds > 0 {
		if halts, haltErr = b.haltBench(haltN, haltRounds, hostLine); haltErr != nil {
			fmt.Fprintf(os.Stderr, "scalebench: halt: %v\n", haltErr)
			failures = append(failures, "halt")
		}
	}
	load1 := loadavg()

	pass := true
	if len(rows) > 0 {
		fmt.Printf("fan-out on a simulated loopback fleet, command `true`, cold `firebreak run` after its dry run vs a bare x/crypto/ssh client; median of %d\n", b.rounds)
		fmt.Printf("load average (1/5/15 min): before %s, after %s; %d CPUs\n\n", load0, load1, runtime.NumCPU())
		tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "hosts\tconc\tfirebreak wall\ttransport wall\tfloor wall\tratio\tfirebreak/transport\tCPU/host firebreak, transport, floor\tpeak RSS firebreak, floor\tfleet CPU/host firebreak, transport, floor\tverdict\t")
		for _, r := range rows {
			if r.err != nil {
				fmt.Fprintf(tw, "%s\t%d\t-\t-\t-\t-\t-\t-\t-\t-\tFAILED (see above)\t\n", r.label, r.conc)
				continue
			}
			ratio := r.fb.wall.Seconds() / r.floor.wall.Seconds()
			cpu := msPer(r.fb.cpu, r.hosts)
			rss := float64(r.fb.rssKB) / 1024
			var miss []string
			if ratio > targetRatio {
				miss = append(miss, "wall")
			}
			if cpu > targetCPUms {
				miss = append(miss, "cpu")
			}
			if rss > targetRSSMB {
				miss = append(miss, "rss")
			}
			verdict := "ok"
			if len(miss) > 0 {
				verdict, pass = "MISSED "+strings.Join(miss, ","), false
			}
			fmt.Fprintf(tw, "%s\t%d\t%.2f s\t%.2f s\t%.2f s\t%.2f\t%.2f\t%.2f, %.2f, %.2f ms\t%.0f, %.0f MB\t%.2f, %.2f, %.2f ms\t%s\t\n", r.label, r.conc,
				r.fb.wall.Seconds(), r.tr.wall.Seconds(), r.floor.wall.Seconds(), ratio, r.fb.wall.Seconds()/r.tr.wall.Seconds(),
				cpu, msPer(r.tr.cpu, r.hosts), msPer(r.floor.cpu, r.hosts), rss, float64(r.floor.rssKB)/1024,
				msPer(r.fb.server, r.hosts), msPer(r.tr.server, r.hosts), msPer(r.floor.server, r.hosts), verdict)
		}
		tw.Flush()
		fmt.Printf("\ntargets: wall ≤ %.2f × floor, client CPU ≤ %g ms/host, peak RSS ≤ %g MB (at 10,000 hosts)\n", targetRatio, targetCPUms, targetRSSMB)
		fmt.Printf("transport: firebreak's SSH layer alone (its remote command with the dead-man's switch, no engine, no record); ratio is firebreak/floor\n")
	}
	if len(halts) > 0 {
		worst := slices.MaxFunc(halts, func(a, b haltSample) int { return cmp.Compare(a.scripts, b.scripts) })
		verdict := "ok"
		if worst.scripts.Seconds() > targetHaltSecs {
			verdict, pass = "MISSED", false
		}
		fmt.Printf("halt: %d hosts in flight (sleep 300), from starting `firebreak halt` in another process until every host's script is dead (worst %.2f s, target ≤ %g s) %s\n",
			haltN, worst.scripts.Seconds(), targetHaltSecs, verdict)
		for i, h := range halts {
			fmt.Printf("  round %d: %s\n", i+1, h)
		}
		if len(rows) == 0 {
			fmt.Printf("load average (1/5/15 min): before %s, after %s; %d CPUs\n", load0, load1, runtime.NumCPU())
		}
	}
	if len(failures) > 0 {
		return fmt.Errorf("failed: %s", strings.Join(failures, "; "))
	}
	if !pass {
		return errMissed
	}
	return nil
}

func (s sample) String() string {
	return fmt.Sprintf("wall %.2fs cpu %.2fs rss %d MB fleet cpu %.2fs", s.wall.Seconds(), s.cpu.Seconds(), s.rssKB/1024, s.server.Seconds())
}

// writeFleetFiles writes the fleet's ports (for the floor), known_hosts and an inventory; it returns the
// inventory's path.
func (b *bench) writeFleetFiles(f *fleetProc, n int, hostLine string) (string, error) {
	var ports, known, inv bytes.Buffer
	inv.WriteString("[fleet]\n")
	for i, p := range f.ports {
		fmt.Fprintf(&ports, "%d\n", p)
		fmt.Fprintf(&known, "[127.0.0.1]:%d %s\n", p, hostLine)
		fmt.Fprintf(&inv, "%s ansible_host=127.0.0.1 ansible_port=%d\n", hostName(i+1), p)
	}
	invPath := filepath.Join(b.dir, fmt.Sprintf("inventory-%d.ini", n))
	for path, data := range map[string][]byte{filepath.Join(b.dir, "ports"): ports.Bytes(),
		filepath.Join(b.home, ".ssh", "known_hosts"): known.Bytes(), invPath: inv.Bytes()} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return "", err
		}
	}
	return invPath, nil
}

func hostName(i int) string { return fmt.Sprintf("host%05d", i) }

// floor measures the bare client once.
func (b *bench) floor(f *fleetProc, conc int) (sample, error) {
	self, err := os.Executable()
	if err != nil {
		return sample{}, err
	}
	return b.timed(f, "floor", b.command(self, "-role", "floor", "-dir", b.dir, "-concurrency", strconv.Itoa(conc)))
}

// transport measures firebreak's transport layer alone once.
func (b *bench) transport(f *fleetProc, inv string, conc int) (sample, error) {
	self, err := os.Executable()
	if err != nil {
		return sample{}, err
	}
	return b.timed(f, "transport", b.command(self, "-role", "transport", "-dir", b.dir, "-inventory", inv, "-concurrency", strconv.Itoa(conc)))
}

// firebreak declares an incident in a fresh database, dry-runs `true` on the inventory and measures the
// real run.
func (b *bench) firebreak(f *fleetProc, inv string, conc int) (sample, error) {
	b.seq++
	fb := b.fbCommand(filepath.Join(b.dir, fmt.Sprintf("db%d", b.seq), "firebreak.db"))
	inc, err := b.declare(fb)
	if err != nil {
		return sample{}, err
	}
	c := strconv.Itoa(conc)
	if _, err := b.timed(f, "firebreak dry run", fb("run", inc, "--command", "true", "--hosts", "all", "-i", inv, "--concurrency", c, "--dry-run", "--yes")); err != nil {
		return sample{}, err
	}
	return b.timed(f, "firebreak run", fb("run", inc, "--command", "true", "--hosts", "all", "-i", inv, "--concurrency", c,
		"--stages", "100%", "--yes", "--break-glass", "bench"))
}

func (b *bench) fbCommand(db string) func(args ...string) *exec.Cmd {
	return func(args ...string) *exec.Cmd {
		return b.command(b.fbBin, append([]string{"--db", db, "--as", "bench"}, args...)...)
	}
}

func (b *bench) declare(fb func(args ...string) *exec.Cmd) (string, error) {
	if err := os.MkdirAll(filepath.Dir(fb().Args[2]), 0o700); err != nil {
		return "", err
	}
	c := fb("declare", "scale benchmark", "--sev", "3", "--drill")
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	if err := c.Run(); err != nil {
		return "", fmt.Errorf("firebreak declare: %v: %s", err, strings.TrimSpace(out.String()))
	}
	return strings.TrimSpace(out.String()), nil
}

func (b *bench) command(name string, args ...string) *exec.Cmd {
	c := exec.Command(name, args...)
	c.Dir, c.Env = b.home, b.env
	return c
}

// timed runs c to completion and measures it: wall time around it, CPU and peak RSS from wait4, and the
// fleet's CPU in the meantime (until its commands are reaped).
func (b *bench) timed(f *fleetProc, what string, c *exec.Cmd) (sample, error) {
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	f.waitIdle()
	server0 := f.cpu()
	start := time.Now()
	err := c.Run()
	wall := time.Since(start)
	f.waitIdle()
	server := f.cpu() - server0
	if err != nil {
		where := "-keep DIR keeps its whole output"
		if b.keep {
			b.seq++
			where = "its whole output in " + filepath.Join(b.dir, fmt.Sprintf("failed-%d.log", b.seq))
			os.WriteFile(filepath.Join(b.dir, fmt.Sprintf("failed-%d.log", b.seq)), out.Bytes(), 0o600)
		}
		return sample{}, fmt.Errorf("%s failed (%v; %s): %s", what, err, where, tail(out.String(), 2000))
	}
	ru, _ := c.ProcessState.SysUsage().(*syscall.Rusage)
	if ru == nil {
		return sample{}, errors.New("no rusage for " + what)
	}
	s := sample{wall: wall, cpu: time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), rssKB: ru.Maxrss, server: server}
	if b.verbose {
		fmt.Fprintf(os.Stderr, "scalebench:   %s: %s\n", what, s)
	}
	return s, nil
}

// haltBench starts n hosts, runs `sleep 300` on all of them at concurrency n and measures `firebreak halt`
// from another process until no process of the hosts' sessions is left, rounds times.
func (b *bench) haltBench(n, rounds int, hostLine string) ([]haltSample, error) {
	fmt.Fprintf(os.Stderr, "scalebench: halt: starting %d hosts\n", n)
	f, err := startFleet(b.dir, n, 0, b.userPub)
	if err != nil {
		return nil, err
	}
	defer f.stop()
	inv, err := b.writeFleetFiles(f, n, hostLine)
	if err != nil {
		return nil, err
	}
	b.seq++
	fb := b.fbCommand(filepath.Join(b.dir, fmt.Sprintf("db%d", b.seq), "firebreak.db"))
	inc, err := b.declare(fb)
	if err != nil {
		return nil, err
	}
	var lat []haltSample
	for r := 0; r < rounds; r++ {
		f.waitIdle()
		run := fb("run", inc, "--command", "sleep 300", "--hosts", "all", "-i", inv, "--concurrency", strconv.Itoa(n),
			"--stages", "100%", "--yes", "--break-glass", "bench")
		var out bytes.Buffer
		run.Stdout, run.Stderr = &out, &out
		if err := run.Start(); err != nil {
			return nil, err
		}
		done := make(chan error, 1)
		go func() { done <- run.Wait() }()
		// In flight: every host runs its sleep.
		deadline := time.Now().Add(2 * time.Minute)
		var sids []int
		for {
			sids = f.sessions()
			if len(sids) >= n && len(live(sids, "sleep")) >= n {
				break
			}
			select {
			case err := <-done:
				return nil, fmt.Errorf("the run to halt ended early (%v): %s", err, tail(out.String(), 2000))
			default:
			}
			if time.Now().After(deadline) {
				run.Process.Kill()
				return nil, fmt.Errorf("only %d of %d hosts in flight after 2 minutes", len(live(sids, "sleep")), n)
			}
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(100 * time.Millisecond)
		h := b.command(b.fbBin, "--db", fb().Args[2], "--as", "bench-halter", "halt", "--reason", "scalebench")
		var hout bytes.Buffer
		h.Stdout, h.Stderr = &hout, &hout
		start := time.Now()
		if err := h.Start(); err != nil {
			return nil, err
		}
		halted := make(chan error, 1)
		go func() { halted <- h.Wait() }()
		// Milestones, polled: the halt command exits, the scripts (sleep) are dead, every process of the
		// hosts' sessions (the wrapper's watchers too) is gone, and the halted run has exited.
		var s haltSample
		for s.scripts == 0 || s.sessions == 0 || s.haltCmd == 0 || s.run == 0 {
			el := time.Since(start)
			if el > 30*time.Second {
				run.Process.Kill()
				return nil, fmt.Errorf("30 s after the halt: remote processes %v, halt exited %v, run exited %v", live(sids, ""), s.haltCmd > 0, s.run > 0)
			}
			if s.haltCmd == 0 {
				select {
				case err := <-halted:
					if err != nil {
						return nil, fmt.Errorf("firebreak halt: %v: %s", err, hout.String())
					}
					s.haltCmd = el
				default:
				}
			}
			if s.run == 0 {
				select {
				case <-done:
					s.run = el
				default:
				}
			}
			if s.sessions == 0 {
				// One pass over /proc for both (a pass reads every process's stat: the bench must not take
				// the CPU the halt needs).
				inScripts, inSessions := 0, 0
				procs(func(_ string, pgrp, sid int) bool {
					if slices.Contains(sids, sid) {
						inSessions++
						if pgrp == sid {
							inScripts++
						}
					}
					return false
				})
				if inSessions == 0 {
					s.sessions = el
				}
				if s.scripts == 0 && inScripts == 0 {
					s.scripts = el
				}
			}
			time.Sleep(10 * time.Millisecond)
		}
		lat = append(lat, s)
		if !strings.Contains(strings.ToLower(out.String()), "halt") {
			return nil, fmt.Errorf("the run did not report a halt: %s", tail(out.String(), 2000))
		}
		if b.verbose {
			fmt.Fprintf(os.Stderr, "scalebench:   halt round %d: %v\n", r+1, lat[r])
		}
		res := fb("resume", "--reason", "scalebench")
		if o, err := res.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("firebreak resume: %v: %s", err, o)
		}
	}
	return lat, nil
}

// haltSample is one halt measurement: the time from starting `firebreak halt` until it exited, until the
// scripts were dead (no process left in any host's script process group), until every process of the
// hosts' sessions was gone (the wrapper's dead-man's-switch watchers too), and until the halted run exited.
type haltSample struct{ haltCmd, scripts, sessions, run time.Duration }

func (s haltSample) String() string {
	ms := func(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }
	return fmt.Sprintf("halt exited %s, scripts dead %s, sessions empty %s, run exited %s", ms(s.haltCmd), ms(s.scripts), ms(s.sessions), ms(s.run))
}

// live lists the processes that are not zombies, belong to one of the sessions sids and, with comm set,
// have that command name.
func live(sids []int, comm string) []int {
	return procs(func(name string, pgrp, sid int) bool {
		return (comm == "" || name == comm) && slices.Contains(sids, sid)
	})
}

// procs lists the processes, not zombies, that keep says to keep.
func procs(keep func(comm string, pgrp, sid int) bool) []int {
	ents, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		bs, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(bs)
		open, close := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || close < open {
			continue
		}
		fs := strings.Fields(s[close+1:]) // state ppid pgrp session
		if len(fs) < 4 || fs[0] == "Z" {
			continue
		}
		pgrp, _ := strconv.Atoi(fs[2])
		sid, _ := strconv.Atoi(fs[3])
		if keep(s[open+1:close], pgrp, sid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// cleanEnv is the environment of firebreak and the floor: PATH, HOME in the bench directory, no ssh-agent.
func cleanEnv(home string) []string {
	env := []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "LANG=C.UTF-8", "TERM=dumb",
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"), "XDG_DATA_HOME=" + filepath.Join(home, ".local/share"),
		"XDG_STATE_HOME=" + filepath.Join(home, ".local/state"), "XDG_CACHE_HOME=" + filepath.Join(home, ".cache")}
	if u, err := user.Current(); err == nil {
		env = append(env, "USER="+u.Username, "LOGNAME="+u.Username)
	}
	return env
}

func median(s []sample) sample {
	pick := func(get func(sample) int64) int64 {
		v := make([]int64, len(s))
		for i, x := range s {
			v[i] = get(x)
		}
		slices.Sort(v)
		if len(v)%2 == 1 {
			return v[len(v)/2]
		}
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return sample{
		wall:   time.Duration(pick(func(x sample) int64 { return int64(x.wall) })),
		cpu:    time.Duration(pick(func(x sample) int64 { return int64(x.cpu) })),
		server: time.Duration(pick(func(x sample) int64 { return int64(x.server) })),
		rssKB:  pick(func(x sample) int64 { return x.rssKB }),
	}
}

func msPer(d time.Duration, n int) float64 {
	return float64(d) / float64(time.Millisecond) / float64(n)
}

func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func loadavg() string {
	bs, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(bs))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// tail shortens s to its start and end, n bytes in all.
func tail(s string, n int) string {
	if len(s) > n {
		return s[:n/2] + "\n…\n" + s[len(s)-n/2:]
	}
	return s
}
