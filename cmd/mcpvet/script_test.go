package main

import (
	"context"
	"errors"
	"flag"
	"os"
	"os/exec"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/mcpvet/mcpvet/internal/fixtures"
)

// TestMain makes this test binary double as the mcpvet binary inside scripts, so it is built once per run.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"mcpvet": func() { os.Exit(mainCode()) },
	})
}

var update = flag.Bool("update", false, "rewrite the golden files that scripts compare with (cmp)")

// TestScripts runs the CLI scripts in testdata/script against a fixture world (npm registry and git server)
// started for each script; $REGISTRY and $GITURL name them.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/script",
		UpdateScripts: *update,
		Cmds:          map[string]func(*testscript.TestScript, bool, []string){"exits": exits},
		Setup: func(env *testscript.Env) error {
			w, err := fixtures.Start(context.Background(), env.WorkDir+"/.world")
			if err != nil {
				return err
			}
			env.Defer(w.Close)
			for k, v := range w.Env(env.WorkDir) {
				env.Setenv(k, v)
			}
			env.Setenv("REGISTRY", w.RegistryURL)
			env.Setenv("GITURL", w.GitURL)
			return nil
		},
	})
}

// exits runs a command and checks its exit code: "exits 1 mcpvet demo". Its output is kept for stdout/stderr.
func exits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE COMMAND [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: bad code %q", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("exits: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", args[1], got, want)
	}
}
