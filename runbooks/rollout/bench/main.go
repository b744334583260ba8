// Command bench measures the fan-out target of SPEC.md ("Targets"): on a loopback fleet of real sshd
// hosts (200 by default), at concurrency 10, with the command `true`, the wall time and the client CPU
// per host of
//
//	firebreak run INC-1 --command true --hosts all -i inventory.ini --concurrency 10 --stages 100% --yes --break-glass bench
//	parallel-ssh -h pssh_hosts -p 10 ... true
//	ansible all -i inventory.ini -m raw -a true -f 10
//
// side by side in one run, and prints a table with the ratios against the targets: firebreak's wall time
// at most 0.6 × pssh's and 0.5 × Ansible's, firebreak's client CPU at most 5 ms per host.
//
// Run it from the repository root on a quiet machine (it prints the load average before and after):
//
//	apt-get install -y openssh-server pssh ansible-core   # sshd, parallel-ssh, ansible
//	go run ./runbooks/rollout/bench                       # 200 hosts, concurrency 10, 5 rounds
//	go run ./runbooks/rollout/bench -hosts 50 -rounds 3 -tools firebreak,pssh
//	go run ./runbooks/rollout/bench -keep /tmp/fleet     # keep the fleet's files (keys, inventory) afterwards
//
// It builds cmd/firebreak (or takes -firebreak PATH), starts its own sshd processes on 127.0.0.1 (16 ports
// each, the logic of runbooks/transport/sshtest, which needs a testing.TB) and writes a throwaway fleet
// directory: host and user keys, known_hosts, inventory.ini (Ansible INI; known_hosts passed through
// ansible_ssh_common_args, which firebreak reads too), ssh_config and pssh_hosts. Every tool verifies host
// keys against the same known_hosts (StrictHostKeyChecking=yes for pssh and Ansible; firebreak always
// verifies). Every tool runs with HOME, XDG_* and the working directory pointed into the fleet directory and
// no ssh-agent, so nothing from the user's own configuration takes part.
//
// Each tool runs once to warm up (page cache, Python bytecode, sshd), then -rounds times, the tools in a
// rotating order each round. Wall time is measured around the tool's process; client CPU is user+system
// time of the tool's process tree as wait4 reports it (the process plus every descendant it waited for:
// for pssh its ssh clients, for Ansible its forks and ssh clients, for firebreak itself and ShellCheck).
// Ansible runs with its default ssh arguments (ControlMaster=auto, ControlPersist=60s) but a fresh
// ControlPath directory each time, so no round reuses another's connections; the ControlPersist masters
// it leaves behind are told to exit after each round. Their CPU after they detach is not counted, which
// slightly favours Ansible. The table shows the median of the rounds; -v prints every round. The server
// column is the CPU the fleet's sshd processes and everything they started used per host during the
// run (the same hosts serve every tool: when it dominates, wall time measures the server, not the client).
//
// The hosts' sessions get an empty HOME, so the shells on the "hosts" do not run the dotfiles of whoever
// runs the bench (bash sources ~/.bashrc for every command sshd runs; a heavy one, pyenv or nvm init,
// costs every tool hundreds of ms of server CPU per host). -user-home keeps your own HOME on the hosts to
// see that case. firebreak's database and run logs live in the fleet directory.
//
// Exit status: 0 when firebreak meets every target measured, 3 when it misses one, 1 on errors.
// -serve starts only the fleet (with -keep DIR) and waits, for trying the tools by hand.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"os/user"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/firebreak/firebreak/runbooks/transport/sshtest"
)

const portsPerSSHD = 16 // OpenSSH listens on at most 16 sockets per process

var userHome *bool

var errMissed = errors.New("firebreak misses a target")

func main() {
	nHosts := flag.Int("hosts", 200, "loopback hosts to start")
	conc := flag.Int("concurrency", 10, "hosts at once, for every tool")
	rounds := flag.Int("rounds", 5, "measured rounds per tool (after one warm-up)")
	toolList := flag.String("tools", "firebreak,pssh,ansible", "tools to measure, comma-separated")
	fbBin := flag.String("firebreak", "", "firebreak binary (default: go build ./cmd/firebreak)")
	sshd := flag.String("sshd", "/usr/sbin/sshd", "sshd binary")
	keep := flag.String("keep", "", "use this directory for the fleet and keep it afterwards")
	verbose := flag.Bool("v", false, "print every round")
	userHome = flag.Bool("user-home", false, "let the hosts' shells run your own dotfiles (default: an empty HOME on the hosts)")
	serve := flag.Bool("serve", false, "only start the fleet (in -keep DIR), print its files and wait for Ctrl-C")
	flag.Parse()
	var err error
	if *serve {
		err = serveFleet(*nHosts, *sshd, *keep)
	} else {
		err = run(*nHosts, *conc, *rounds, strings.Split(*toolList, ","), *fbBin, *sshd, *keep, *verbose)
	}
	if errors.Is(err, errMissed) {
		os.Exit(3)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// measurement is one timed run of one tool.
type measurement struct {
	wall, cpu, server time.Duration
}

type tool struct {
	name  string
	cmd   func(round int) *exec.Cmd
	after func(round int) // cleanup after a run, not timed
	runs  []measurement
}

func run(n, conc, rounds int, names []string, fbBin, sshd, keep string, verbose bool) error {
	dir := keep
	if dir == "" {
		d, err := os.MkdirTemp("", "firebreak-bench-")
		if err != nil {
			return err
		}
		dir = d
		defer os.RemoveAll(dir)
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	dir, _ = filepath.Abs(dir)

	tools := map[string]bool{}
	for _, t := range names {
		tools[strings.TrimSpace(t)] = true
	}
	for t := range tools {
		if t != "firebreak" && t != "pssh" && t != "ansible" {
			return fmt.Errorf("unknown tool %q (firebreak, pssh, ansible)", t)
		}
	}
	if tools["pssh"] {
		if _, err := exec.LookPath("parallel-ssh"); err != nil {
			return errors.New("parallel-ssh not found: apt-get install -y pssh")
		}
	}
	if tools["ansible"] {
		if _, err := exec.LookPath("ansible"); err != nil {
			return errors.New("ansible not found: apt-get install -y ansible-core")
		}
	}
	if tools["firebreak"] && fbBin == "" {
		fbBin = filepath.Join(dir, "firebreak")
		fmt.Fprintln(os.Stderr, "bench: building cmd/firebreak")
		b := exec.Command("go", "build", "-o", fbBin, "./cmd/firebreak")
		b.Stdout, b.Stderr = os.Stderr, os.Stderr
		if err := b.Run(); err != nil {
			return fmt.Errorf("go build ./cmd/firebreak (run the bench from the repository root): %w", err)
		}
	}

	fmt.Fprintf(os.Stderr, "bench: starting %d sshd hosts in %s\n", n, dir)
	f, err := startFleet(dir, n, sshd, *userHome)
	defer f.stop()
	if err != nil {
		return err
	}
	interrupted := make(chan os.Signal, 1)
	signal.Notify(interrupted, os.Interrupt, syscall.SIGTERM)
	go func() { <-interrupted; f.stop(); os.Exit(130) }()

	home := filepath.Join(dir, "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		return err
	}
	env := cleanEnv(home)
	command := func(name string, args ...string) *exec.Cmd {
		c := exec.Command(name, args...)
		c.Dir, c.Env = home, env
		return c
	}

	var list []*tool
	if tools["firebreak"] {
		db := filepath.Join(home, "firebreak.db")
		fb := func(args ...string) *exec.Cmd {
			return command(fbBin, append([]string{"--db", db, "--as", "bench"}, args...)...)
		}
		out, err := fb("declare", "fan-out benchmark", "--sev", "3", "--drill").Output()
		if err != nil {
			return fmt.Errorf("firebreak declare: %w", exitDetail(err))
		}
		inc := strings.TrimSpace(string(out))
		list = append(list, &tool{name: "firebreak", cmd: func(int) *exec.Cmd {
			return fb("run", inc, "--command", "true", "--hosts", "all", "-i", f.inventory, "--concurrency", fmt.Sprint(conc),
				"--stages", "100%", "--yes", "--break-glass", "bench")
		}})
	}
	if tools["pssh"] {
		list = append(list, &tool{name: "parallel-ssh", cmd: func(int) *exec.Cmd {
			return command("parallel-ssh", "-h", f.psshHosts, "-p", fmt.Sprint(conc), "-t", "0",
				"-O", "IdentityFile="+f.userKey, "-O", "UserKnownHostsFile="+f.knownHosts,
				"-O", "StrictHostKeyChecking=yes", "-O", "BatchMode=yes", "true")
		}})
	}
	if tools["ansible"] {
		ctl := func(round int) string { return filepath.Join(home, fmt.Sprintf("ansible-cp-%d", round)) }
		list = append(list, &tool{name: "ansible -m raw", cmd: func(round int) *exec.Cmd {
			c := command("ansible", "all", "-i", f.inventory, "-m", "raw", "-a", "true", "-f", fmt.Sprint(conc))
			c.Env = append(c.Env, "ANSIBLE_SSH_CONTROL_PATH_DIR="+ctl(round), "ANSIBLE_HOST_KEY_CHECKING=True",
				"ANSIBLE_NOCOLOR=1", "ANSIBLE_LOCALHOST_WARNING=False")
			return c
		}, after: func(round int) { closeMasters(ctl(round), env) }})
	}
	if len(list) == 0 {
		return errors.New("no tools to measure")
	}

	load0 := loadavg()
	fmt.Fprintf(os.Stderr, "bench: load average %s; warming up\n", load0)
	for _, t := range list {
		if _, err := measure(t, -1); err != nil {
			return err
		}
	}
	for r := 0; r < rounds; r++ {
		for i := range list {
			t := list[(i+r)%len(list)]
			m, err := measure(t, r)
			if err != nil {
				return err
			}
			t.runs = append(t.runs, m)
			if verbose {
				fmt.Fprintf(os.Stderr, "bench: round %d %-14s wall %6.2fs  client cpu %7.2fs  server cpu %7.2fs  (load %s)\n", r+1, t.name,
					m.wall.Seconds(), m.cpu.Seconds(), m.server.Seconds(), loadavg())
			}
		}
	}
	load1 := loadavg()

	med := map[string]measurement{}
	for _, t := range list {
		med[t.name] = median(t.runs)
	}
	fmt.Printf("fan-out: %d hosts on loopback sshd, concurrency %d, command `true`; median of %d rounds after a warm-up\n", n, conc, rounds)
	fmt.Printf("load average (1/5/15 min): before %s, after %s; %d CPUs\n\n", load0, load1, runtime.NumCPU())
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "tool\twall s\twall ms/host\tclient CPU s\tclient CPU ms/host\tserver CPU ms/host\twall min-max s\t")
	for _, t := range list {
		m := med[t.name]
		lo, hi := spread(t.runs)
		fmt.Fprintf(tw, "%s\t%.2f\t%.1f\t%.2f\t%.2f\t%.1f\t%.2f-%.2f\t\n", t.name, m.wall.Seconds(), ms(m.wall)/float64(n), m.cpu.Seconds(),
			ms(m.cpu)/float64(n), ms(m.server)/float64(n), lo.Seconds(), hi.Seconds())
	}
	tw.Flush()
	fb, ok := med["firebreak"]
	if !ok {
		return nil
	}
	fmt.Println()
	pass := true
	check := func(what string, got, limit float64, unit string) {
		verdict := "ok"
		if got > limit {
			verdict, pass = "MISSED", false
		}
		fmt.Printf("  %-38s %8.3f%s  target ≤ %g%s  %s\n", what, got, unit, limit, unit, verdict)
	}
	if p, ok := med["parallel-ssh"]; ok {
		check("firebreak wall / parallel-ssh wall", fb.wall.Seconds()/p.wall.Seconds(), 0.6, "")
	}
	if a, ok := med["ansible -m raw"]; ok {
		check("firebreak wall / ansible wall", fb.wall.Seconds()/a.wall.Seconds(), 0.5, "")
	}
	check("firebreak client CPU per host", ms(fb.cpu)/float64(n), 5, " ms")
	if !pass {
		fmt.Println("\nfirebreak misses a target")
		return errMissed
	}
	return nil
}

// serveFleet starts the fleet and keeps it up until SIGINT or SIGTERM, for trying tools by hand.
func serveFleet(n int, sshd, dir string) error {
	if dir == "" {
		return errors.New("-serve needs -keep DIR")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	dir, _ = filepath.Abs(dir)
	f, err := startFleet(dir, n, sshd, *userHome)
	defer f.stop()
	if err != nil {
		return err
	}
	fmt.Printf("%d hosts up: inventory %s, ssh_config %s, pssh_hosts %s, known_hosts %s, key %s\n", n, f.inventory, f.sshConfig, f.psshHosts, f.knownHosts, f.userKey)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	<-stop
	return nil
}

// measure runs one tool once and checks it succeeded.
func measure(t *tool, round int) (measurement, error) {
	c := t.cmd(round)
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	waitServerIdle()
	server0 := serverCPU()
	start := time.Now()
	err := c.Run()
	wall := time.Since(start)
	if t.after != nil {
		t.after(round)
	}
	// Sessions end (and their CPU is counted) only once sshd has reaped them, which comes after the
	// client is gone; it also keeps one tool's teardown out of the next tool's run.
	waitServerIdle()
	server := serverCPU() - server0
	if err != nil {
		return measurement{}, fmt.Errorf("%s failed (%v): %s", t.name, err, tailOf(out.String(), 2000))
	}
	ru, _ := c.ProcessState.SysUsage().(*syscall.Rusage)
	if ru == nil {
		return measurement{}, errors.New("no rusage for " + t.name)
	}
	return measurement{wall: wall, cpu: time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), server: server}, nil
}

// sshdPIDs are the fleet's sshd listeners, for serverCPU.
var sshdPIDs []int

// serverCPU is the CPU time the fleet's sshd listeners have used, with every session process they reaped
// (utime, stime, cutime and cstime of /proc/PID/stat).
func serverCPU() time.Duration {
	var ticks int64
	for _, pid := range sshdPIDs {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:])) // f[0] is field 3 (state); utime..cstime are fields 14-17
		for _, x := range f[11:15] {
			var n int64
			fmt.Sscan(x, &n)
			ticks += n
		}
	}
	return time.Duration(ticks) * time.Second / 100 // USER_HZ is 100 on Linux
}

// waitServerIdle waits (up to 30s) until no sshd listener of the fleet has a session process left.
func waitServerIdle() {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		busy := false
		for _, pid := range sshdPIDs {
			b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
			if err == nil && len(bytes.TrimSpace(b)) > 0 {
				busy = true
				break
			}
		}
		if !busy {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// closeMasters tells the ControlPersist masters Ansible left in dir to exit.
func closeMasters(dir string, env []string) {
	socks, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, s := range socks {
		c := exec.Command("ssh", "-o", "ControlPath="+s, "-O", "exit", "bench")
		c.Env = env
		_ = c.Run()
	}
}

// cleanEnv is the environment for every tool: the same PATH, HOME in the fleet directory, no ssh-agent.
func cleanEnv(home string) []string {
	env := []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "LANG=C.UTF-8", "TERM=dumb",
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"), "XDG_DATA_HOME=" + filepath.Join(home, ".local/share"),
		"XDG_STATE_HOME=" + filepath.Join(home, ".local/state"), "XDG_CACHE_HOME=" + filepath.Join(home, ".cache")}
	if u, err := user.Current(); err == nil {
		env = append(env, "USER="+u.Username, "LOGNAME="+u.Username)
	}
	return env
}

func median(ms []measurement) measurement {
	w := make([]time.Duration, len(ms))
	c := make([]time.Duration, len(ms))
	sv := make([]time.Duration, len(ms))
	for i, m := range ms {
		w[i], c[i], sv[i] = m.wall, m.cpu, m.server
	}
	return measurement{wall: medianOf(w), cpu: medianOf(c), server: medianOf(sv)}
}

func medianOf(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	if len(d)%2 == 1 {
		return d[len(d)/2]
	}
	return (d[len(d)/2-1] + d[len(d)/2]) / 2
}

func spread(ms []measurement) (lo, hi time.Duration) {
	for i, m := range ms {
		if i == 0 || m.wall < lo {
			lo = m.wall
		}
		if m.wall > hi {
			hi = m.wall
		}
	}
	return lo, hi
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func tailOf(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

func exitDetail(err error) error {
	var ee *exec.ExitError
	if errors.As(err, &ee) && len(ee.Stderr) > 0 {
		return fmt.Errorf("%w: %s", err, strings.TrimSpace(string(ee.Stderr)))
	}
	return err
}

// fleet is the running loopback hosts and the files that describe them.
type fleet struct {
	dir                                       string
	userKey, knownHosts, inventory, sshConfig string
	psshHosts                                 string
	procs                                     []*sshdProc
	userHome                                  bool // sessions keep the user's own HOME (and dotfiles)
}

type sshdProc struct {
	cmd    *exec.Cmd
	exited chan struct{}
}

func (p *sshdProc) kill() {
	_ = p.cmd.Process.Kill()
	<-p.exited
}

func (f *fleet) stop() {
	for _, p := range f.procs {
		p.kill()
	}
	f.procs = nil
}

// startFleet starts n hosts (127.0.0.1, one port each, 16 ports per sshd) that all present one host key and
// accept one user key, and writes known_hosts, inventory.ini, ssh_config and pssh_hosts for them.
func startFleet(dir string, n int, sshd string, userHome bool) (*fleet, error) {
	f := &fleet{dir: dir, userHome: userHome}
	if err := os.MkdirAll(filepath.Join(dir, "remote-home"), 0o755); err != nil {
		return f, err
	}
	if _, err := os.Stat(sshd); err != nil {
		return f, fmt.Errorf("sshd not found at %s: apt-get install -y openssh-server", sshd)
	}
	u, err := user.Current()
	if err != nil {
		return f, err
	}
	if os.Geteuid() == 0 {
		_ = os.MkdirAll("/run/sshd", 0o755) // the privilege separation directory sshd wants as root
	}
	hostPub, err := sshtest.WriteKeyComment(filepath.Join(dir, "hostkey"), "bench-host")
	if err != nil {
		return f, err
	}
	f.userKey = filepath.Join(dir, "userkey")
	userPub, err := sshtest.WriteKeyComment(f.userKey, "bench-user")
	if err != nil {
		return f, err
	}
	if err := os.WriteFile(filepath.Join(dir, "authorized_keys"), ssh.MarshalAuthorizedKey(userPub), 0o600); err != nil {
		return f, err
	}
	var ports []int
	for i := 0; i < n; i += portsPerSSHD {
		m := min(portsPerSSHD, n-i)
		var err error
		for attempt := 0; attempt < 5; attempt++ {
			var ps []int
			if ps, err = sshtest.FreePorts(m); err != nil {
				return f, err
			}
			var p *sshdProc
			if p, err = f.startSSHD(sshd, i/portsPerSSHD, ps); err == nil {
				f.procs = append(f.procs, p)
				sshdPIDs = append(sshdPIDs, p.cmd.Process.Pid)
				ports = append(ports, ps...)
				break
			}
		}
		if err != nil {
			return f, err
		}
	}
	f.knownHosts = filepath.Join(dir, "known_hosts")
	f.inventory = filepath.Join(dir, "inventory.ini")
	f.sshConfig = filepath.Join(dir, "ssh_config")
	f.psshHosts = filepath.Join(dir, "pssh_hosts")
	var known, inv, cfg, pssh strings.Builder
	inv.WriteString("[hosts]\n")
	for i, p := range ports {
		name := fmt.Sprintf("host%03d", i+1)
		fmt.Fprintf(&known, "[127.0.0.1]:%d %s", p, ssh.MarshalAuthorizedKey(hostPub))
		fmt.Fprintf(&inv, "%s ansible_host=127.0.0.1 ansible_port=%d ansible_user=%s ansible_ssh_private_key_file=%s ansible_ssh_common_args='-o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes'\n",
			name, p, u.Username, f.userKey, f.knownHosts)
		fmt.Fprintf(&cfg, "Host %s\n  HostName 127.0.0.1\n  Port %d\n  User %s\n  IdentityFile %s\n  UserKnownHostsFile %s\n  StrictHostKeyChecking yes\n\n",
			name, p, u.Username, f.userKey, f.knownHosts)
		fmt.Fprintf(&pssh, "%s@127.0.0.1:%d\n", u.Username, p)
	}
	for p, s := range map[string]string{f.knownHosts: known.String(), f.inventory: inv.String(), f.sshConfig: cfg.String(), f.psshHosts: pssh.String()} {
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			return f, err
		}
	}
	return f, nil
}

// startSSHD runs one sshd in the foreground for ports and waits until every port answers with a banner.
func (f *fleet) startSSHD(sshd string, idx int, ports []int) (*sshdProc, error) {
	var c strings.Builder
	for _, p := range ports {
		fmt.Fprintf(&c, "Port %d\n", p)
	}
	fmt.Fprintf(&c, "ListenAddress 127.0.0.1\nHostKey %s\nAuthorizedKeysFile %s\nPidFile none\n", filepath.Join(f.dir, "hostkey"), filepath.Join(f.dir, "authorized_keys"))
	c.WriteString("PasswordAuthentication no\nKbdInteractiveAuthentication no\nPubkeyAuthentication yes\nUsePAM no\nStrictModes no\n")
	c.WriteString("PermitRootLogin prohibit-password\nMaxStartups 1000\nMaxSessions 100\nLogLevel ERROR\nPrintMotd no\nPrintLastLog no\n")
	if !f.userHome {
		// Sessions get an empty HOME, so the shell on the "host" does not run the dotfiles of whoever runs
		// the bench (bash sources ~/.bashrc for every ssh command; a heavy one, pyenv init say, costs
		// hundreds of ms of server CPU per host and would measure the dotfiles, not the clients).
		fmt.Fprintf(&c, "SetEnv HOME=%s\n", filepath.Join(f.dir, "remote-home"))
	}
	conf := filepath.Join(f.dir, fmt.Sprintf("sshd_config.%d", idx))
	if err := os.WriteFile(conf, []byte(c.String()), 0o600); err != nil {
		return nil, err
	}
	logf := filepath.Join(f.dir, fmt.Sprintf("sshd.%d.log", idx))
	cmd := exec.Command(sshd, "-D", "-f", conf, "-E", logf)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlive the bench
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting sshd: %w", err)
	}
	proc := &sshdProc{cmd: cmd, exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(proc.exited) }()
	deadline := time.Now().Add(10 * time.Second)
	for _, p := range ports {
		for !sshtest.Banner(p) {
			select {
			case <-proc.exited:
			default:
				if time.Now().Before(deadline) {
					time.Sleep(10 * time.Millisecond)
					continue
				}
			}
			proc.kill()
			log, _ := os.ReadFile(logf)
			return nil, fmt.Errorf("sshd did not answer on port %d: %s", p, strings.TrimSpace(string(log)))
		}
	}
	return proc, nil
}
