package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"github.com/mcpvet/mcpvet/analysis"
	"github.com/mcpvet/mcpvet/analysis/report"
	"github.com/mcpvet/mcpvet/analysis/source"
	"github.com/mcpvet/mcpvet/app"
	"github.com/mcpvet/mcpvet/app/ghapi"
	"github.com/mcpvet/mcpvet/app/pullreview"
)

// runServe runs the GitHub App: the webhook server, its queue and the workers that review pull requests.
// Everything is configured by the environment (DESIGN.md §4); it returns when ctx is cancelled.
func runServe(ctx context.Context, args []string, stderr io.Writer, getenv func(string) string) (int, error) {
	fs, _ := newFlags("serve", stderr)
	if err := parseFlags(fs, args); err != nil {
		return 0, err
	}
	if fs.NArg() != 0 {
		return 0, fmt.Errorf("%w: serve takes no arguments; it is configured by MCPVET_* variables", errUsage)
	}
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	cfg, err := app.ConfigFromEnv(getenv)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", errUsage, err)
	}
	cfg.Logger = logger
	wd, err := os.Getwd()
	if err != nil {
		wd = "."
	}
	engineCfg, err := analysis.ConfigFromEnv(getenv, wd, logger) // once: clients, caches and the trusted root are shared by every job
	if err != nil {
		return 0, fmt.Errorf("%w: %v", errUsage, err)
	}

	runner := &serveRunner{}
	srv, err := app.New(ctx, cfg, runner)
	if err != nil {
		return 0, err
	}
	gh, err := ghapi.NewApp(ghapi.AppAuth{AppID: cfg.AppID, PrivateKey: cfg.PrivateKey, APIURL: cfg.APIURL},
		srv.Metrics().InstrumentGitHub(http.DefaultTransport))
	if err != nil {
		_ = srv.Close(context.Background())
		return 0, fmt.Errorf("%w: %v", errUsage, err)
	}
	runner.reviewer = &pullreview.Reviewer{
		App:    gh,
		Engine: engineFactory(engineCfg, getenv, cfg.APIURL),
		Logger: logger,
	}
	logger.Info("mcpvet serve starting", "listen", cfg.Listen, "workers", cfg.Workers, "app_id", cfg.AppID)
	if err := srv.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return 0, err
	}
	return report.ExitPass, nil
}

// serveRunner adapts pullreview.Reviewer to the queue's Runner.
type serveRunner struct{ reviewer *pullreview.Reviewer }

// Run reviews one pull request head; errors the job cannot fix by repeating are marked permanent.
func (r *serveRunner) Run(ctx context.Context, w app.Work) error {
	err := r.reviewer.Run(ctx, pullreview.Job{
		InstallationID: w.InstallationID, Owner: w.Owner, Repo: w.Repo, Number: w.Number,
		HeadSHA: w.HeadSHA, CheckRunID: w.CheckRunID, LastAttempt: w.LastAttempt,
	})
	if errors.Is(err, pullreview.ErrPermanent) {
		return app.Permanent(err)
	}
	return err
}

// engineFactory returns the engine of one job: base, and on github.com the installation's token, which also
// reads public upstream repositories and answers the fork/archived/age questions with the App's rate limit
// instead of the anonymous 60 requests an hour — but only when upstreams are fetched from github.com itself:
// the token is never sent to a mirror, and a GitHub Enterprise Server's token never leaves it.
func engineFactory(base analysis.Config, getenv func(string) string, apiURL string) func(ctx context.Context, token string) (*analysis.Engine, error) {
	onGitHubCom := isGitHubCom(apiURL, "https://api.github.com") &&
		isGitHubCom(getenv(analysis.EnvGitHubURL), "https://github.com") &&
		isGitHubCom(getenv(source.EnvGitHubAPIURL), "https://api.github.com") &&
		getenv(analysis.EnvGitHubToken) == ""
	shared := analysis.New(base)
	return func(ctx context.Context, token string) (*analysis.Engine, error) {
		if onGitHubCom && token != "" {
			return analysis.New(base.WithGitHubToken(token)), nil
		}
		return shared, nil
	}
}

// isGitHubCom reports whether url is unset or names the public github.com endpoint want.
func isGitHubCom(url, want string) bool {
	url = strings.TrimRight(strings.TrimSpace(url), "/")
	return url == "" || url == want
}
