// Command world serves the fixture world (npm registry and git server, internal/fixtures) until it is
// interrupted, for benchmarks that drive the real binary. It prints the environment that points mcpvet at it
// as shell `export` lines on stdout, then a line "ready".
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"syscall"

	"github.com/mcpvet/mcpvet/internal/fixtures"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: world DIR")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	w, err := fixtures.Start(ctx, os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "world:", err)
		os.Exit(1)
	}
	defer w.Close()
	env := w.Env(os.Args[1])
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Printf("export %s=%q\n", k, env[k])
	}
	fmt.Println("ready")
	<-ctx.Done()
}
