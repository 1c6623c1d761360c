package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/mcpvet/mcpvet/analysis"
	"github.com/mcpvet/mcpvet/analysis/deps"
	"github.com/mcpvet/mcpvet/analysis/report"
	"github.com/mcpvet/mcpvet/analysis/rules"
	"github.com/mcpvet/mcpvet/internal/fixtures"
)

const usage = `mcpvet reviews MCP servers and other npm dependencies against their source.

Usage:
  mcpvet check  [--format text|json|markdown|sarif] <name>@<from>..<to> | <name>@<version> ...
  mcpvet review [--repo DIR] [--base REF] [--head REF] [--format text|json|markdown|sarif]
  mcpvet demo   [--format text|json|markdown|sarif]
  mcpvet serve                        (the GitHub App: webhook server and queue, configured by MCPVET_* variables)
  mcpvet action                       (the GitHub Action's step: inputs and GITHUB_* from the environment)

Exit codes: 0 no blocking finding, 1 blocking finding, 2 usage or configuration error, 3 no verdict.
`

// errUsage marks errors that are the caller's to fix.
var errUsage = errors.New("usage")

// run is the whole program; main only supplies the process's environment.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return report.ExitUsage
	}
	var err error
	code := report.ExitPass
	switch args[0] {
	case "check":
		code, err = runCheck(ctx, args[1:], stdout, stderr, getenv)
	case "review":
		code, err = runReview(ctx, args[1:], stdout, stderr, getenv)
	case "serve":
		code, err = runServe(ctx, args[1:], stderr, getenv)
	case "action":
		code, err = runAction(ctx, args[1:], stdout, stderr, getenv)
	case "demo":
		code, err = runDemo(ctx, args[1:], stdout, stderr, getenv)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return report.ExitPass
	default:
		err = fmt.Errorf("%w: unknown command %q", errUsage, args[0])
	}
	if err != nil {
		fmt.Fprintf(stderr, "mcpvet: %v\n", err)
		if errors.Is(err, errUsage) || errors.Is(err, flag.ErrHelp) {
			return report.ExitUsage
		}
		return report.ExitIncomplete
	}
	return code
}

func newFlags(name string, stderr io.Writer) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "text", "output format: text, json, markdown or sarif")
	return fs, format
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	return nil
}

// parseSpec reads "<name>@<from>..<to>" or "<name>@<version>"; scoped names keep their leading "@".
func parseSpec(s string) (analysis.Request, error) {
	at := strings.LastIndex(s, "@")
	if at <= 0 {
		return analysis.Request{}, fmt.Errorf("%w: %q: want <name>@<from>..<to> or <name>@<version>", errUsage, s)
	}
	name, versions := s[:at], s[at+1:]
	req := analysis.Request{Ecosystem: analysis.EcosystemNPM, Name: name, To: versions}
	if from, to, ok := strings.Cut(versions, ".."); ok {
		req.From, req.To = from, to
		if from == "" {
			return analysis.Request{}, fmt.Errorf("%w: %q: empty <from> version", errUsage, s)
		}
	}
	if req.To == "" || strings.ContainsAny(req.To, " /\\") || strings.ContainsAny(req.From, " /\\") {
		return analysis.Request{}, fmt.Errorf("%w: %q: want exact versions", errUsage, s)
	}
	return req, nil
}

func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) (int, error) {
	fs, format := newFlags("check", stderr)
	if err := parseFlags(fs, args); err != nil {
		return 0, err
	}
	f, err := report.ParseFormat(*format)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() == 0 {
		return 0, fmt.Errorf("%w: check needs at least one <name>@<from>..<to>", errUsage)
	}
	var reqs []analysis.Request
	for _, a := range fs.Args() {
		req, err := parseSpec(a)
		if err != nil {
			return 0, err
		}
		req.All = true // asked for by name: reviewed whether or not it is an MCP server
		reqs = append(reqs, req)
	}
	wd, _ := os.Getwd()
	eng, err := newEngine(wd, stderr, getenv)
	if err != nil {
		return 0, err
	}
	rep, err := eng.Check(ctx, reqs)
	if err != nil {
		return 0, err
	}
	if err := writeReport(stdout, rep, f, getenv); err != nil {
		return 0, err
	}
	return rep.ExitCode(), nil
}

// newEngine wires the engine from the environment; workdir's .npmrc is read like npm reads it.
func newEngine(workdir string, stderr io.Writer, getenv func(string) string) (*analysis.Engine, error) {
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg, err := analysis.ConfigFromEnv(getenv, workdir, logger)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	if isTerminal(stderr) {
		cfg.Progress = func(msg string) { fmt.Fprintf(stderr, "… %s\n", msg) }
	}
	return analysis.New(cfg), nil
}

// runReview reviews a pull request held in a local git repository: the changes from the merge-base of base
// and head to head, with the policy read from the base.
func runReview(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) (int, error) {
	fs, format := newFlags("review", stderr)
	repo := fs.String("repo", ".", "the repository holding the pull request")
	base := fs.String("base", "", "base revision (default: the default branch; the merge-base with head is used)")
	head := fs.String("head", "HEAD", "head revision")
	if err := parseFlags(fs, args); err != nil {
		return 0, err
	}
	f, err := report.ParseFormat(*format)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() != 0 {
		return 0, fmt.Errorf("%w: review takes no arguments (use --repo, --base, --head)", errUsage)
	}
	pr, err := deps.OpenGit(ctx, *repo, *base, *head)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", errUsage, err)
	}
	eng, err := newEngine(*repo, stderr, getenv)
	if err != nil {
		return 0, err
	}
	rep, err := eng.Review(ctx, pr, time.Now())
	if errors.Is(err, analysis.ErrConfig) {
		return 0, fmt.Errorf("%w: %v", errUsage, err)
	}
	if err != nil {
		return 0, err
	}
	if err := writeReport(stdout, rep, f, getenv); err != nil {
		return 0, err
	}
	return rep.ExitCode(), nil
}

// runDemo reviews the postmark-mcp incident's look-alike offline: a fixture repository's pull request bumps
// the package; its upstream is served by a real git http-backend and its tarballs by an in-process npm
// registry; the review goes through the same path as `review`.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) (int, error) {
	fs, format := newFlags("demo", stderr)
	if err := parseFlags(fs, args); err != nil {
		return 0, err
	}
	if fs.NArg() != 0 {
		return 0, fmt.Errorf("%w: demo takes no arguments", errUsage)
	}
	dir, err := os.MkdirTemp("", "mcpvet-demo-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	world, err := fixtures.Start(ctx, dir)
	if err != nil {
		return 0, fmt.Errorf("start the demo's registry and git server: %w", err)
	}
	defer world.Close()
	env := world.Env(dir)
	demoEnv := func(k string) string {
		if v, ok := env[k]; ok {
			return v
		}
		if k == "HOME" {
			return dir // no user .npmrc in the demo
		}
		return getenv(k)
	}
	pr := world.PRDir(fixtures.DemoPR)
	fmt.Fprintf(stderr, "demo: npm registry at %s, git server at %s (offline fixtures)\n", world.RegistryURL, world.GitURL)
	fmt.Fprintf(stderr, "demo: a pull request bumps mailpost-mcp 1.0.15 → 1.0.16 in package.json, package-lock.json and .mcp.json\n")
	fmt.Fprintf(stderr, "demo: mcpvet review --repo %s --base pr-base --head pr-head\n\n", pr)
	return runReview(ctx, []string{"--format", *format, "--repo", pr, "--base", "pr-base", "--head", "pr-head"}, stdout, stderr, demoEnv)
}

// writeReport renders rep: colour only for text on a terminal (and not when NO_COLOR is set), the rule
// catalogue and version for SARIF.
func writeReport(w io.Writer, rep *report.Report, f report.Format, getenv func(string) string) error {
	return report.WriteWith(w, rep, f, report.WriteOptions{
		Color:       f == report.FormatText && getenv("NO_COLOR") == "" && isTerminal(w),
		Rules:       rules.All(),
		ToolVersion: buildVersion(),
	})
}

// isTerminal reports whether w is a character device (a terminal), where progress lines help.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
