package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"
)

// flagsFirst moves a subcommand's flags in front of its positional
// arguments. urfave/cli v2 stops parsing flags at the first argument, so
// "restore snap --force" would otherwise upload without --force and
// complain about a stray "--force"; operators type flags last.
func flagsFirst(app *cli.App, args []string) []string {
	i := 1
	for i < len(args) {
		a := args[i]
		if a == "--" || !isFlag(a) {
			break
		}
		if !strings.Contains(a, "=") && takesValue(app.Flags, a) {
			i++
		}
		i++
	}
	if i >= len(args) || args[i] == "--" {
		return args
	}
	cmd := app.Command(args[i])
	if cmd == nil {
		return args
	}
	var flags, pos []string
	rest := args[i+1:]
	for j := 0; j < len(rest); j++ {
		a := rest[j]
		if a == "--" {
			// Everything after "--" is positional, as are the arguments
			// already seen: keep "--" in front of all of them.
			pos = append(append([]string{"--"}, pos...), rest[j+1:]...)
			break
		}
		if !isFlag(a) {
			pos = append(pos, a)
			continue
		}
		flags = append(flags, a)
		if !strings.Contains(a, "=") && takesValue(cmd.Flags, a) && j+1 < len(rest) {
			flags = append(flags, rest[j+1])
			j++
		}
	}
	out := append([]string(nil), args[:i+1]...)
	return append(append(out, flags...), pos...)
}

func isFlag(a string) bool { return len(a) > 1 && a[0] == '-' }

// takesValue reports whether flag arg (e.g. "--role") is one of flags and
// consumes the next argument as its value.
func takesValue(flags []cli.Flag, arg string) bool {
	name := strings.TrimLeft(arg, "-")
	for _, f := range flags {
		for _, n := range f.Names() {
			if n != name {
				continue
			}
			v, ok := f.(interface{ TakesValue() bool })
			return ok && v.TakesValue()
		}
	}
	return false
}

// args checks a command's positional arguments: between min and max of
// them (max < 0: no limit). The error says what to fix and shows usage.
func args(c *cli.Context, min, max int, names ...string) ([]string, error) {
	a := c.Args().Slice()
	switch {
	case len(a) < min:
		return nil, usageError(c, "missing %s", names[len(a)])
	case max >= 0 && len(a) > max:
		return nil, usageError(c, "unexpected argument %q", a[max])
	}
	return a, nil
}

func usageError(c *cli.Context, format string, v ...any) error {
	return fmt.Errorf("%s\nusage: %s %s %s", fmt.Sprintf(format, v...), c.App.Name, c.Command.Name, c.Command.ArgsUsage)
}

// roles are the member roles sqlclusterctl accepts; the node has the last
// word.
var roles = []string{"voter", "standby", "spare"}

func checkRole(c *cli.Context, role string) error {
	for _, r := range roles {
		if role == r {
			return nil
		}
	}
	return usageError(c, "unknown role %q: use %s", role, strings.Join(roles, ", "))
}
