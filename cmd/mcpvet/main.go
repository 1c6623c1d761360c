// Command mcpvet reviews changes to MCP servers and other npm dependencies: it compares each published
// package with the source it claims and blocks when published code is not in that source.
//
// Usage:
//
//	mcpvet check  [--format text|json|markdown] <name>@<from>..<to> | <name>@<version> ...
//	mcpvet review [--repo DIR] [--base REF] [--head REF] [--format text|json|markdown]
//	mcpvet demo   [--format text|json|markdown]
//
// Exit codes: 0 no blocking finding, 1 blocking finding, 2 usage or configuration error, 3 no verdict.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}
