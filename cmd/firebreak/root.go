package main

import (
	"os"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// globalOptions are the persistent flags every command takes, before or after its name.
type globalOptions struct {
	db, as, config string
	noColor        bool
}

// Annotations on commands.
const (
	// annFreeText marks a command whose trailing arguments are free text: a word that starts with dashes
	// but names no flag ("---separator---") is text, not an unknown flag.
	annFreeText = "firebreak/free-text"
)

// cobraGlobals sets cobra's process-wide settings once: firebreak serve builds a command tree per session,
// concurrently.
var cobraGlobals sync.Once

// newRootCmd builds the whole command tree for a.
func newRootCmd(a *app) *cobra.Command {
	cobraGlobals.Do(func() {
		cobra.EnableCommandSorting = false // the order they are added in: most used first
		cobra.AddTemplateFunc("listing", listing)
	})
	root := &cobra.Command{
		Use:   "firebreak",
		Short: "the incident console",
		Long: `firebreak is the incident console: with no command it opens the console (a terminal UI) on the open
incidents; with a command it does one thing and exits, for scripts and for people at another terminal.
Everything it does is recorded on the incident's hash-chained timeline. Exit codes: 0 success, 1 the
operation ran and failed, 2 refused or invalid input; errors go to stderr as one line starting
"firebreak: ".`,
		Example: `  firebreak                                   # the console
  firebreak declare "checkout is down" --sev 1  # prints the new id, e.g. INC-7
  firebreak list --json
  firebreak help run`,
		Args:                  noArgs,
		SilenceUsage:          true,
		SilenceErrors:         true,
		DisableFlagsInUseLine: true,
		CompletionOptions:     cobra.CompletionOptions{HiddenDefaultCmd: false},
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			a.ran = true
			if !needsApp(cmd) {
				return nil
			}
			return a.setup()
		},
		RunE: func(cmd *cobra.Command, _ []string) error { return cmdConsole(cmd.Context(), a) },
	}
	pf := root.PersistentFlags()
	pf.StringVar(&a.global.db, "db", "", "the database `PATH` (env FIREBREAK_DB; default firebreak/firebreak.db under $XDG_DATA_HOME)")
	pf.StringVar(&a.global.as, "as", "", "act as `NAME` on the timeline (env FIREBREAK_USER; default the OS user)")
	pf.StringVar(&a.global.config, "config", "", "the config file `PATH` (default firebreak.toml here, else $XDG_CONFIG_HOME/firebreak/config.toml)")
	pf.BoolVar(&a.global.noColor, "no-color", false, "plain output: the command line prints no colour anyway; the console honours it as it does NO_COLOR")

	root.AddGroup(
		&cobra.Group{ID: "incident", Title: "Incidents:"},
		&cobra.Group{ID: "runbook", Title: "Runbooks and runs:"},
		&cobra.Group{ID: "record", Title: "Retrospective and record:"},
		&cobra.Group{ID: "tool", Title: "Tools:"},
	)
	add := func(group string, cmds ...*cobra.Command) {
		for _, c := range cmds {
			c.GroupID = group
			root.AddCommand(c)
		}
	}
	add("incident", incidentCommands(a)...)
	add("incident", newCmdUpdate(a), newCmdHandover(a))
	add("runbook", newCmdRunbook(a), newCmdAttach(a))
	add("runbook", stepCommands(a)...)
	add("runbook", newCmdHosts(a), newCmdRun(a), newCmdRuns(a), newCmdLog(a), newCmdApprove(a), newCmdHalt(a), newCmdResume(a))
	add("record", newCmdStats(a), newCmdRetro(a), newCmdExport(a), newCmdAudit(a), newCmdBackup(a), newCmdRestore(a), newCmdMigrate(a))
	add("tool", newCmdServe(a), newCmdMan(a), newCmdVersion(a))
	root.AddCommand(newCmdNotifyRunner(a))
	root.SetHelpCommand(newCmdHelp(root))
	root.SetHelpCommandGroupID("tool")
	root.SetCompletionCommandGroupID("tool")
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	if c := subcommand(root, "completion"); c != nil {
		c.Short = "the shell completion script for bash, zsh, fish or powershell"
		c.Long = `Completion prints the completion script for your shell. Completion offers commands, flags and, from
the database, config, library and inventories: incident ids (open ones first), run ids, runbook ids, the
steps of the runbook typed, checklist steps, retrospective sections, host groups and names, statuses,
roles and severities. See each shell's help for how to load it; the README shows how to install it.`
		c.Example = "  source <(firebreak completion bash)\n  firebreak completion zsh > \"${fpath[1]}/_firebreak\"\n  firebreak completion fish > ~/.config/fish/completions/firebreak.fish"
		c.Args = cobra.ArbitraryArgs
		c.RunE = groupRunE("bash, zsh, fish or powershell")
	}
	root.SetUsageTemplate(usageTemplate)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageErrorf("%v; usage: %s", err, c.UseLine())
	})
	walk(root, func(c *cobra.Command) {
		c.DisableFlagsInUseLine = true
		c.Flags().SortFlags = false
	})
	return root
}

// needsApp reports whether cmd works on the database or config: help, completion, man and version do not,
// so they work with a broken config or a database path that does not exist.
func needsApp(cmd *cobra.Command) bool {
	for c := cmd; c != nil; c = c.Parent() {
		switch c.Name() {
		case "help", "completion", "man", "version", cobra.ShellCompRequestCmd, cobra.ShellCompNoDescRequestCmd:
			return false
		}
	}
	return true
}

func newCmdHelp(root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:   "help [COMMAND [SUBCOMMAND]]",
		Short: "help about any command",
		Long: `Help prints what a command does, its arguments, every flag with its meaning, and examples. With no
command it lists the commands. "firebreak COMMAND --help" and "-h" print the same.`,
		Example: "  firebreak help run\n  firebreak help retro set",
		RunE: func(cmd *cobra.Command, args []string) error {
			target, rest, err := root.Find(args)
			if err != nil || len(rest) > 0 || target == nil {
				return usageErrorf("no help topic %q: firebreak help lists the commands", strings.Join(args, " "))
			}
			target.InitDefaultHelpFlag()
			return target.Help()
		},
		ValidArgsFunction: func(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
			parent, rest, err := root.Find(args)
			if err != nil || len(rest) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var out []cobra.Completion
			for _, c := range parent.Commands() {
				if c.IsAvailableCommand() {
					out = append(out, cobra.CompletionWithDesc(c.Name(), c.Short))
				}
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		},
	}
}

// usageTemplate is cobra's, with the commands listed by their usage (arguments included) and the exit codes.
const usageTemplate = `Usage:{{if .Runnable}}
  {{.UseLine}}{{end}}{{if .HasAvailableSubCommands}}
  {{.CommandPath}} COMMAND [ARGS...]{{end}}{{if .HasExample}}

Examples:
{{.Example}}{{end}}{{if .HasAvailableSubCommands}}{{$cmds := .Commands}}{{if eq (len .Groups) 0}}

Commands:{{range $cmds}}{{if (or .IsAvailableCommand (eq .Name "help"))}}
  {{listing .Use .Short}}{{end}}{{end}}{{else}}{{range $group := .Groups}}

{{.Title}}{{range $cmds}}{{if (and (eq .GroupID $group.ID) (or .IsAvailableCommand (eq .Name "help")))}}
  {{listing .Use .Short}}{{end}}{{end}}{{end}}{{end}}{{end}}{{if .HasAvailableLocalFlags}}

Flags:
{{.LocalFlags.FlagUsages | trimTrailingWhitespaces}}{{end}}{{if .HasAvailableInheritedFlags}}

Global flags:
{{.InheritedFlags.FlagUsages | trimTrailingWhitespaces}}{{end}}

Exit codes: 0 success, 1 the operation ran and failed, 2 refused or invalid input.{{if .HasAvailableSubCommands}}
Use "{{.CommandPath}} help COMMAND" or "{{.CommandPath}} COMMAND --help" for a command's flags.{{end}}
`

// listing is one line of a command list: usage, then summary in a column (on the next line when the
// usage is too long for the column).
func listing(use, short string) string {
	const col = 40
	if len(use) < col {
		return use + strings.Repeat(" ", col-len(use)) + " " + short
	}
	return use + "\n  " + strings.Repeat(" ", col) + " " + short
}

// walk calls f on cmd and every command below it.
func walk(cmd *cobra.Command, f func(*cobra.Command)) {
	f(cmd)
	for _, c := range cmd.Commands() {
		walk(c, f)
	}
}

// Argument checks: a wrong number of arguments is a usage error (exit 2) that quotes the usage line.

func noArgs(cmd *cobra.Command, args []string) error { return argsRange(0, 0)(cmd, args) }

func exactArgs(n int) cobra.PositionalArgs { return argsRange(n, n) }

func minArgs(n int) cobra.PositionalArgs { return argsRange(n, -1) }

func argsRange(min, max int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < min || (max >= 0 && len(args) > max) {
			return usageErrorf("usage: %s", cmd.UseLine())
		}
		return nil
	}
}

// normalizeArgs rewrites a command line into the form cobra parses without surprises: the command path,
// then the flags, then "--" and the positional arguments. It keeps the contract older than cobra: flags
// anywhere among the arguments, Go's single-dash long flags (-sev 2), negative numbers and relative times
// (-25m) as arguments, "--" ending the flags; and, for commands whose trailing arguments are free text
// (note), a word that starts with dashes but names no flag is text. Shell completion requests pass as
// they are: cobra parses those itself.
func normalizeArgs(root *cobra.Command, args []string) ([]string, error) {
	if len(args) > 0 && (args[0] == cobra.ShellCompRequestCmd || args[0] == cobra.ShellCompNoDescRequestCmd) {
		return args, nil
	}
	cmd := root
	cmd.InitDefaultHelpFlag()
	var path, flags, pos []string
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(arg, "-") || arg == "-" || isNegative(arg) {
			if len(pos) == 0 {
				if sub := subcommand(cmd, arg); sub != nil {
					cmd = sub
					cmd.InitDefaultHelpFlag()
					path = append(path, sub.Name())
					continue
				}
			}
			pos = append(pos, arg)
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		f := lookupFlag(cmd, name)
		if f == nil {
			if cmd.Annotations[annFreeText] != "" && len(pos) > 0 {
				pos = append(pos, arg)
				continue
			}
			return nil, usageErrorf("unknown flag %s; usage: %s", arg, cmd.UseLine())
		}
		if !hasValue && f.NoOptDefVal == "" {
			if i+1 >= len(args) {
				return nil, usageErrorf("--%s needs a value; usage: %s", f.Name, cmd.UseLine())
			}
			i++
			value, hasValue = args[i], true
		}
		if hasValue {
			flags = append(flags, "--"+f.Name+"="+value)
		} else {
			flags = append(flags, "--"+f.Name)
		}
	}
	if cmd == root && len(pos) > 0 {
		return nil, usageErrorf("unknown command %q: firebreak help lists the commands", pos[0])
	}
	out := append(path, flags...)
	if len(pos) > 0 {
		out = append(append(out, "--"), pos...)
	}
	return out, nil
}

// subcommand is cmd's subcommand called name (hidden ones included), or nil.
func subcommand(cmd *cobra.Command, name string) *cobra.Command {
	for _, c := range cmd.Commands() {
		if c.Name() == name || c.HasAlias(name) {
			return c
		}
	}
	return nil
}

// lookupFlag finds a flag of cmd or of its parents by long name, or by its one-letter shorthand.
func lookupFlag(cmd *cobra.Command, name string) *pflag.Flag {
	sets := []*pflag.FlagSet{cmd.Flags()}
	for c := cmd; c != nil; c = c.Parent() {
		sets = append(sets, c.PersistentFlags()) // a parent's other flags are not cmd's
	}
	for _, fs := range sets {
		if f := fs.Lookup(name); f != nil {
			return f
		}
		if len(name) == 1 {
			if f := fs.ShorthandLookup(name); f != nil {
				return f
			}
		}
	}
	return nil
}

// noColor applies --no-color: NO_COLOR reaches the console's styles (and anything else that honours it).
func (a *app) applyNoColor() {
	if a.global.noColor {
		os.Setenv("NO_COLOR", "1")
	}
}
