package transport

import (
	"fmt"
	"sort"
	"strings"
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
// len(prog) bytes of program from stdin, points stdin at /dev/null and runs it. Reading the program from
// stdin avoids the kernel's 128 KiB limit on one argument and any quoting of the script itself.
//
// --norc: bash sources ~/.bashrc for a command run by sshd when SHLVL < 2, and `exec` lowers SHLVL, so
// without it a bash login shell and then this bash would each source it: twice per command, which on hosts
// with a heavy .bashrc (pyenv, nvm, conda init) costs hundreds of ms each. The login shell has sourced it
// once already and its exported variables (PATH) reach the script, as they reach pssh's and Ansible's.
func remoteCommand(progLen int, reportPGID bool) string {
	report := ""
	if reportPGID {
		report = `printf '\0FIREBREAK_PGID=%s\n' "$$"; `
	}
	return bashCommand(report + innerScript(progLen))
}

// bashCommand is the command line that makes the login shell exec bash on script.
func bashCommand(script string) string {
	return "exec bash --norc -c " + shellQuote(script) + " firebreak"
}
