// Command mcpvet reviews changes to MCP servers and other npm dependencies: it compares each published
// package with the source it claims and blocks when published code is not in that source.
//
// Usage:
//
//	mcpvet check  [--format text|json|markdown|sarif] <name>@<from>..<to> | <name>@<version> ...
//	mcpvet review [--repo DIR] [--base REF] [--head REF] [--format text|json|markdown|sarif]
//	mcpvet demo   [--format text|json|markdown|sarif]
//	mcpvet serve  (the GitHub App; configured by MCPVET_* variables, see README)
//	mcpvet action (the GitHub Action's step; inputs and GITHUB_* variables from the runner)
//
// Exit codes: 0 no blocking finding, 1 blocking finding, 2 usage or configuration error, 3 no verdict.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() { os.Exit(mainCode()) }

// mainCode runs the command of the process's arguments; SIGINT and SIGTERM cancel its context (serve
// then shuts down gracefully).
func mainCode() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
}
