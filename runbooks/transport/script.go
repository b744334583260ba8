package transport

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// pgidPrefix starts the first line of a remote command's stdout: the process group to kill on cancel.
const pgidPrefix = "\x00FIREBREAK_PGID="

// shellQuote quotes s for any POSIX shell: '...' with embedded quotes as '\”.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// validEnvName says whether name can be exported by a shell.
func validEnvName(name string) bool {
	if name == "" {
		return false
	}
	for i, c := range name {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// program builds what bash reads on stdin: exports for the environment (OpenSSH's AcceptEnv refuses
// setenv requests, so variables travel inside the script), then the script.
func program(cmd Command) ([]byte, error) {
	names := make([]string, 0, len(cmd.Env))
	for k := range cmd.Env {
		if !validEnvName(k) {
			return nil, fmt.Errorf("environment variable name %q is not a shell identifier", k)
		}
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, k := range names {
		b.WriteString("export " + k + "=" + shellQuote(cmd.Env[k]) + "\n")
	}
	b.WriteString(cmd.Script)
	return []byte(b.String()), nil
}

// remoteCommand is the command line sent to the host's login shell. bash replaces that shell (so its pid is
// the session's process group, which sshd created with setsid), reports the group on stdout, reads exactly
// len(prog) bytes of program from stdin, starts the dead-man's switch (see innerScript), points stdin at
// /dev/null and runs it. Reading the program from
// stdin avoids the kernel's 128 KiB limit on one argument and any quoting of the script itself.
//
// --norc: bash sources ~/.bashrc for a command run by sshd when SHLVL < 2, and `exec` lowers SHLVL, so
// without it a bash login shell and then this bash would each source it: twice per command, which on hosts
// with a heavy .bashrc (pyenv, nvm, conda init) costs hundreds of ms each. The login shell has sourced it
// once already and its exported variables (PATH) reach the script, as they reach pssh's and Ansible's.
func remoteCommand(progLen int, reportPGID bool, grace time.Duration) string {
	report := ""
	if reportPGID {
		report = `printf '\0FIREBREAK_PGID=%s\n' "$$"; `
	}
	return bashCommand(report + innerScript(progLen, grace))
}

// bashCommand is the command line that makes the login shell exec bash on script.
func bashCommand(script string) string {
	return "exec bash --norc -c " + shellQuote(script) + " firebreak"
}

// innerScript is what bash runs: it reads exactly progLen bytes of program from stdin, starts the
// dead-man's switch, points stdin at /dev/null and evals the program. The read builtin does it without
// starting a process (`read -N` reads a pipe in blocks up to the count; LC_ALL=C makes it count bytes and
// keep every byte); a bash without `read -N` (3.x, status 2) falls back to head. A program cut short (the
// connection broke) is not run.
//
// The dead-man's switch: the caller keeps stdin open after the program for as long as it waits for the
// command, so stdin reaches EOF only when the caller lets go: it finished waiting, it was killed (the kernel
// closes its end), or its SSH connection dropped (sshd closes the session's pipes). A watcher started in
// the background blocks reading the rest of stdin; at EOF, if the script (the process group leader, $$)
// still runs, the caller is gone or gave up on it, so the watcher kills the script's process group:
// SIGTERM, up to grace for the group to end, then SIGKILL. Between its checks of the group the watcher
// waits in bash's read builtin with a timeout, on a pipe it holds both ends of, rather than running
// sleep(1): at a halt of hundreds of hosts, a sleep process per host every 50 ms took the host's CPU from
// the very processes being stopped (bash 3, without fractional timeouts, still runs sleep). After a normal
// finish the leader has already been reaped (sshd and the local transport close stdin only after waiting
// for it), so nothing is killed and the watcher just exits. `set -m` starts the watcher in a process group
// of its own (in the same session), so it survives its own SIGTERM and can see when the script's group is
// empty; it reads from a copy of the original stdin on fd 3 and writes nowhere, so it never holds the
// command's output open, and it is disowned, so the script's own `wait` does not wait for it.
func innerScript(progLen int, grace time.Duration) string {
	steps := max(int(grace/(50*time.Millisecond)), 1)
	return fmt.Sprintf(`{ LC_ALL=C IFS= read -r -N %[1]d __fb; } 2>/dev/null; case $? in 0) ;; 1) echo "firebreak: the script did not arrive whole" >&2; exit 125 ;; `+
		`*) __fb=$(head -c %[1]d; printf .); __fb=${__fb%%.} ;; esac; `+
		`__fbpg=$$; exec 3<&0 0</dev/null; set -m; `+
		`{ while IFS= read -r __x; do :; done; kill -0 "$__fbpg" || exit 0; kill -TERM -- "-$__fbpg"; __i=0; `+
		`if [ "${BASH_VERSINFO[0]}" -ge 4 ] && exec 4<> <(:); then __p() { read -r -t 0.05 -u 4 __x; }; else __p() { sleep 0.05; }; fi; `+
		`while kill -0 -- "-$__fbpg" && [ "$__i" -lt %[2]d ]; do __p; __i=$((__i+1)); done; kill -KILL -- "-$__fbpg"; } <&3 3<&- >/dev/null 2>&1 & disown; `+
		`set +m; exec 3<&-; eval "$__fb"`, progLen, steps)
}
