package main

import (
	"context"
	"fmt"
)

// cmdConsole opens the console. Until the console lands it lists the open incidents.
func cmdConsole(ctx context.Context, a *app, _ []string) error {
	fmt.Fprintln(a.stdout, "firebreak: the console is not built yet; the commands work today (firebreak help).")
	return cmdList(ctx, a, nil)
}
