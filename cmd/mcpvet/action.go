package main

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"

	"github.com/mcpvet/mcpvet/action"
)

const actionUsage = `Usage: mcpvet action

Runs as the GitHub Action's step (action.yml): reads the inputs (INPUT_GITHUB-TOKEN, INPUT_FAIL-ON, …) and
the runner's GITHUB_* variables, reviews the pull request or base-ref..head-ref, and writes the job summary,
annotations, outputs and report files. Exit codes follow the fail-on input (see the README).
`

// runAction is the `action` subcommand: the Action's step, configured by the environment the runner sets.
func runAction(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) (int, error) {
	if len(args) > 0 {
		if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
			fmt.Fprint(stdout, actionUsage)
			return 0, nil
		}
		return 0, fmt.Errorf("%w: action takes no arguments; it reads the step's inputs from the environment", errUsage)
	}
	return action.Run(ctx, action.Env{Getenv: getenv, Stdout: stdout, Stderr: stderr, Version: buildVersion()}), nil
}

// buildVersion is the main module's version as the build recorded it ("" for a development build).
func buildVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok || bi.Main.Version == "(devel)" {
		return ""
	}
	return bi.Main.Version
}
