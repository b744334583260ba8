package sshtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// By says which id of a process Live matches: its process group or its session. sshd (and the local
// transport) start each command in a session of its own whose id is the wrapper's pid, and the wrapper
// leads the command's process group: the group is the command and everything it started; the session
// adds the wrapper's dead-man's watcher.
type By int

// The fields of /proc/PID/stat after the command name.
const (
	ByGroup   By = 2
	BySession By = 3
)

// Live lists the processes on this machine (the test hosts' too) that are not zombies and whose process
// group or session (by) is one of ids: what is left of commands on the host side.
func Live(by By, ids []int) []int {
	ents, _ := os.ReadDir("/proc")
	var live []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp session ...; comm may hold spaces and parentheses.
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) < 4 || f[0] == "Z" {
			continue
		}
		if id, _ := strconv.Atoi(f[by]); slices.Contains(ids, id) {
			live = append(live, pid)
		}
	}
	return live
}

// PidFiles reads the pids that commands wrote to dir/*.pid.
func PidFiles(dir string) []int {
	files, _ := filepath.Glob(filepath.Join(dir, "*.pid"))
	var pids []int
	for _, f := range files {
		b, _ := os.ReadFile(f)
		if p, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			pids = append(pids, p)
		}
	}
	return pids
}

// WaitPids waits until n commands wrote their pid to dir/*.pid and returns the pids, or fails after
// timeout showing the machine's processes.
func WaitPids(tb testing.TB, dir string, n int, timeout time.Duration) []int {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		pids := PidFiles(dir)
		if len(pids) == n {
			return pids
		}
		if time.Now().After(deadline) {
			out, _ := exec.Command("ps", "-eo", "pid,ppid,pgid,sid,stat,etime,args").Output()
			tb.Fatalf("%d of %d commands started within %s\n%s", len(pids), n, timeout, out)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
