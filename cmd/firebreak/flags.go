package main

import (
	"flag"
	"io"
	"strings"
	"unicode"
)

// globalFlags are accepted anywhere on the command line, before or after the command.
type globalFlags struct {
	db, as, config string
}

// splitGlobal takes --db, --as and --config (and their -x and --x=v forms) out of args.
func splitGlobal(args []string) (globalFlags, []string, error) {
	var g globalFlags
	var rest []string
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		var dst *string
		if strings.HasPrefix(arg, "-") {
			switch name {
			case "db":
				dst = &g.db
			case "as":
				dst = &g.as
			case "config":
				dst = &g.config
			}
		}
		if dst == nil {
			rest = append(rest, arg)
			continue
		}
		if !hasValue {
			if i+1 >= len(args) {
				return g, nil, usageErrorf("--%s needs a value", name)
			}
			i++
			value = args[i]
		}
		*dst = value
	}
	return g, rest, nil
}

// parseArgs parses a command's flags wherever they appear among its arguments (Go's flag package stops at
// the first argument) and returns the positional arguments. Everything after "--" is positional, and so are
// negative numbers and durations like -15m.
func parseArgs(fs *flag.FlagSet, args []string, minPos, maxPos int, usage string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for len(args) > 0 {
		if args[0] == "--" {
			pos = append(pos, args[1:]...)
			break
		}
		if isNegative(args[0]) || !strings.HasPrefix(args[0], "-") || args[0] == "-" {
			pos = append(pos, args[0])
			args = args[1:]
			continue
		}
		var flagArgs []string
		flagArgs, args = nextFlag(fs, args)
		if err := fs.Parse(flagArgs); err != nil {
			return nil, usageErrorf("%v; usage: firebreak %s", err, usage)
		}
	}
	if len(pos) < minPos || (maxPos >= 0 && len(pos) > maxPos) {
		return nil, usageErrorf("usage: firebreak %s", usage)
	}
	return pos, nil
}

// nextFlag splits off one flag (with its value, for flags that take one) from the front of args.
func nextFlag(fs *flag.FlagSet, args []string) (flagArgs, rest []string) {
	name, _, hasValue := strings.Cut(strings.TrimLeft(args[0], "-"), "=")
	f := fs.Lookup(name)
	if f == nil || hasValue || isBool(f) || len(args) < 2 {
		return args[:1], args[1:]
	}
	return args[:2], args[2:]
}

func isBool(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

func isNegative(s string) bool {
	return len(s) > 1 && s[0] == '-' && unicode.IsDigit(rune(s[1]))
}

func newFlags(name string) *flag.FlagSet {
	return flag.NewFlagSet(name, flag.ContinueOnError)
}
