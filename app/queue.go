package app

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
)

// Work is one unit of review: a pull request head.
type Work struct {
	InstallationID int64
	Owner, Repo    string
	Number         int
	HeadSHA        string
	// CheckRunID is the check run a check_run rerequested event named (0 otherwise): the run to update.
	CheckRunID int64
	// DeliveryID is the X-GitHub-Delivery that enqueued this work, for logs.
	DeliveryID string
	// LastAttempt is true when the queue will not retry this unit if it fails now: the Runner should then
	// report the failure (a check run left in progress would never turn red or green).
	LastAttempt bool
}

// Runner reviews one unit of work (the real one is pullreview.Reviewer, adapted by the lead). Run must
// be idempotent — a unit may run again after a crash, a timeout or a rerequest — and must return
// promptly when ctx is cancelled (the PR moved to a newer head, the attempt timed out, or the server is
// shutting down). A returned error is retried with backoff unless it is a *PermanentError.
type Runner interface {
	Run(ctx context.Context, w Work) error
}

// RunnerFunc adapts a function to Runner.
type RunnerFunc func(ctx context.Context, w Work) error

// Run calls f.
func (f RunnerFunc) Run(ctx context.Context, w Work) error { return f(ctx, w) }

// PermanentError marks a Runner error that must not be retried (found with errors.As); every other
// error is retried with backoff until MaxAttempts.
type PermanentError struct{ Err error }

// Error is the wrapped error's message, marked permanent.
func (e *PermanentError) Error() string { return "permanent: " + e.Err.Error() }

// Unwrap returns the wrapped error.
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent wraps err (nil stays nil) so that the job is not retried.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &PermanentError{Err: err}
}

// reviewKind is the River job kind of a unit of work.
const reviewKind = "mcpvet_review"

// reviewArgs is a unit of work as River stores it. River's unique key is (repository, PR, head SHA,
// rerun): automatic triggers share rerun "" and so run once per head; a rerequest carries its
// delivery id and so runs again.
type reviewArgs struct {
	InstallationID int64  `json:"installation_id"`
	RepoID         int64  `json:"repo_id" river:"unique"`
	Owner          string `json:"owner"`
	Repo           string `json:"repo"`
	Number         int    `json:"number" river:"unique"`
	HeadSHA        string `json:"head_sha" river:"unique"`
	Rerun          string `json:"rerun" river:"unique"`
	CheckRunID     int64  `json:"check_run_id"`
	DeliveryID     string `json:"delivery_id"`
}

// Kind is River's job kind.
func (reviewArgs) Kind() string { return reviewKind }

func (a reviewArgs) work() Work {
	return Work{InstallationID: a.InstallationID, Owner: a.Owner, Repo: a.Repo, Number: a.Number,
		HeadSHA: a.HeadSHA, CheckRunID: a.CheckRunID, DeliveryID: a.DeliveryID}
}

// reviewWorker runs units of work with the Runner.
type reviewWorker struct {
	river.WorkerDefaults[reviewArgs]
	runner  Runner
	metrics *Metrics
	log     *slog.Logger
}

// Work runs one attempt of a unit and maps the Runner's answer onto River: nil completes, a
// PermanentError cancels for good, anything else is retried with backoff.
func (w *reviewWorker) Work(ctx context.Context, job *river.Job[reviewArgs]) error {
	a := job.Args
	log := w.log.With("delivery", a.DeliveryID, "installation", a.InstallationID, "repo", a.Owner+"/"+a.Repo,
		"pr", a.Number, "sha", a.HeadSHA, "job", job.ID, "attempt", job.Attempt)
	log.Info("review started")
	start := time.Now()
	work := a.work()
	work.LastAttempt = job.Attempt >= job.MaxAttempts
	err := runSafely(ctx, w.runner, work)
	elapsed := time.Since(start)
	var perm *PermanentError
	result := jobOK
	switch {
	case err == nil:
	case errors.Is(context.Cause(ctx), river.ErrJobCancelledRemotely):
		result = jobSuperseded
	case errors.As(err, &perm):
		result = jobPermanent
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		result = jobTimeout
	default:
		result = jobRetry
	}
	w.metrics.jobDuration.WithLabelValues(result).Observe(elapsed.Seconds())
	switch result {
	case jobOK:
		log.Info("review finished", "seconds", elapsed.Seconds())
		return nil
	case jobPermanent:
		log.Error("review failed permanently", "error", err, "seconds", elapsed.Seconds())
		return river.JobCancel(err)
	case jobSuperseded:
		log.Info("review cancelled: the pull request moved on", "seconds", elapsed.Seconds())
		return err
	default:
		log.Warn("review failed; will retry", "error", err, "result", result, "seconds", elapsed.Seconds(),
			"attempts_left", job.MaxAttempts-job.Attempt)
		return err
	}
}

// runSafely turns a Runner panic into an error (retried) instead of a crash.
func runSafely(ctx context.Context, r Runner, w Work) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("runner panicked: %v", p)
		}
	}()
	return r.Run(ctx, w)
}

// backoff is River's retry policy: base·2^(failures-1), capped, with ±10% jitter.
type backoff struct{ base, max time.Duration }

// NextRetry implements river.ClientRetryPolicy.
func (b backoff) NextRetry(job *rivertype.JobRow) time.Time {
	failures := max(len(job.Errors), 1)
	d := b.base
	for i := 1; i < failures && d < b.max; i++ {
		d *= 2
	}
	d = min(d, b.max)
	jitter := time.Duration(float64(d) * 0.1 * (2*rand.Float64() - 1))
	return time.Now().UTC().Add(d + jitter)
}

// persistResult is what one delivery's transaction did.
type persistResult struct {
	Duplicate bool    // the delivery id was seen before: nothing was done
	Enqueued  []int64 // River jobs inserted
	Deduped   int     // units whose head already has a job
	Skipped   int     // stale heads, closed PRs, rerequests of work still queued or running
}

// backend is the queue and store over one database, whatever its driver.
type backend interface {
	persist(ctx context.Context, d delivery, p *plan) (persistResult, error)
	start(ctx context.Context) error
	stop(ctx context.Context) error
	ping(ctx context.Context) error
	jobCounts(ctx context.Context) (map[string]int, error)
	cleanup(ctx context.Context, now time.Time) error
	jobs(ctx context.Context) ([]*rivertype.JobRow, error)
	close() error
}

// delivery is one webhook delivery's row.
type delivery struct {
	GUID     string
	Event    string
	Received time.Time
}

// riverBackend is backend over a River client and the same database's own tables.
type riverBackend[TTx any] struct {
	db     sqlDB[TTx]
	client *river.Client[TTx]
	driver riverdriver.Driver[TTx]
}

// openBackend opens cfg.DB, migrates River's and mcpvet's tables, and builds the River client with
// worker (not started).
func openBackend(ctx context.Context, cfg Config, worker *reviewWorker) (backend, error) {
	kind, dsn, err := parseDB(cfg.DB)
	if err != nil {
		return nil, &ConfigError{Var: EnvDB, Reason: err.Error()}
	}
	switch kind {
	case dbSQLite:
		db, err := openSQLite(dsn)
		if err != nil {
			return nil, err
		}
		return newRiverBackend[*sql.Tx](ctx, cfg, db, riversqlite.New(db.db), worker)
	default:
		db, err := openPostgres(ctx, dsn, cfg.Workers)
		if err != nil {
			return nil, err
		}
		return newRiverBackend[pgx.Tx](ctx, cfg, db, riverpgxv5.New(db.pool), worker)
	}
}

// newRiverBackend migrates db and builds the River client over it; on failure it closes db.
func newRiverBackend[TTx any](ctx context.Context, cfg Config, db sqlDB[TTx], driver riverdriver.Driver[TTx], worker *reviewWorker) (_ backend, err error) {
	defer func() {
		if err != nil {
			db.Close()
		}
	}()
	riverLog := slog.New(minLevel{min: slog.LevelWarn, h: cfg.Logger.With("component", "river").Handler()})
	if err := migrate(ctx, db, driver, riverLog); err != nil {
		return nil, err
	}
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, worker); err != nil {
		return nil, fmt.Errorf("register review worker: %w", err)
	}
	var cooldown time.Duration // River's default (100 ms), unless the poll interval is shorter
	if cfg.FetchPollInterval > 0 && cfg.FetchPollInterval < river.FetchCooldownDefault {
		cooldown = max(cfg.FetchPollInterval, river.FetchCooldownMin)
	}
	client, err := river.NewClient(driver, &river.Config{
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}},
		Workers:              workers,
		JobTimeout:           cfg.JobTimeout,
		RescueStuckJobsAfter: cfg.RescueAfter,
		MaxAttempts:          cfg.MaxAttempts,
		RetryPolicy:          backoff{base: cfg.RetryBase, max: cfg.RetryMax},
		FetchPollInterval:    cfg.FetchPollInterval,
		FetchCooldown:        cooldown,
		Logger:               riverLog,
	})
	if err != nil {
		return nil, fmt.Errorf("river client: %w", err)
	}
	return &riverBackend[TTx]{db: db, client: client, driver: driver}, nil
}

// migrate applies River's migrations (each in its own transaction, as River requires) and then
// mcpvet's (in one), serialised across replicas by the database's migration lock.
func migrate[TTx any](ctx context.Context, db sqlDB[TTx], driver riverdriver.Driver[TTx], log *slog.Logger) error {
	unlock, err := db.MigrationLock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	migrator, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: log})
	if err != nil {
		return fmt.Errorf("migrate river: %w", err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrate river: %w", err)
	}
	if err := inTx(ctx, db, func(tx TTx) error { return migrateOwn(ctx, db, tx) }); err != nil {
		return fmt.Errorf("migrate mcpvet: %w", err)
	}
	return nil
}

// persist records the delivery and does what its plan asks in one transaction: either all of it
// (delivery row, head map, River jobs inserted or cancelled) commits, or none.
func (b *riverBackend[TTx]) persist(ctx context.Context, d delivery, p *plan) (persistResult, error) {
	var res persistResult
	err := inTx(ctx, b.db, func(tx TTx) (err error) {
		res, err = b.apply(ctx, tx, d, p)
		return err
	})
	if err != nil {
		return persistResult{}, err
	}
	return res, nil
}

// apply is persist's work inside its transaction.
func (b *riverBackend[TTx]) apply(ctx context.Context, tx TTx, d delivery, p *plan) (persistResult, error) {
	var res persistResult
	now := d.Received.UnixMilli()
	n, err := b.db.Exec(ctx, tx, `INSERT INTO mcpvet_delivery (guid, event, action, installation_id, repo, units, received_at)
		VALUES (?, ?, ?, ?, ?, 0, ?) ON CONFLICT (guid) DO NOTHING`, d.GUID, d.Event, p.Action, p.InstallationID, p.Repo, now)
	if err != nil {
		return res, fmt.Errorf("record delivery: %w", err)
	}
	if n == 0 {
		res.Duplicate = true
		return res, nil
	}
	if p.Installation != nil {
		if err := recordInstallation(ctx, b.db, tx, p.Installation, now); err != nil {
			return res, err
		}
	}
	if p.Close != nil {
		h, err := lockPRHead(ctx, b.db, tx, *p.Close, now)
		if err != nil {
			return res, err
		}
		if err := b.cancel(ctx, tx, h.JobID); err != nil {
			return res, err
		}
		if err := setPRHead(ctx, b.db, tx, *p.Close, h.HeadSHA, h.JobID, false, now); err != nil {
			return res, err
		}
	}
	units, err := b.resolve(ctx, tx, p.Units)
	if err != nil {
		return res, err
	}
	for _, u := range units {
		id, outcome, err := b.enqueue(ctx, tx, d, u, now)
		if err != nil {
			return res, err
		}
		switch outcome {
		case outcomeEnqueued:
			res.Enqueued = append(res.Enqueued, id)
		case outcomeDeduped:
			res.Deduped++
		default:
			res.Skipped++
		}
	}
	if len(res.Enqueued) > 0 {
		if _, err := b.db.Exec(ctx, tx, `UPDATE mcpvet_delivery SET units = ? WHERE guid = ?`, len(res.Enqueued), d.GUID); err != nil {
			return res, fmt.Errorf("record delivery: %w", err)
		}
	}
	return res, nil
}

// resolve replaces units without a PR number (fork heads in check events) by one per open pull
// request whose recorded head is that SHA, keeping at most MaxUnitsPerDelivery.
func (b *riverBackend[TTx]) resolve(ctx context.Context, tx TTx, units []unit) ([]unit, error) {
	var out []unit
	for _, u := range units {
		if u.Number != 0 {
			out = append(out, u)
			continue
		}
		numbers, err := prsWithHead(ctx, b.db, tx, u.RepoID, u.HeadSHA, MaxUnitsPerDelivery)
		if err != nil {
			return nil, err
		}
		for _, n := range numbers {
			v := u
			v.Number = n
			out = append(out, v)
		}
	}
	if len(out) > MaxUnitsPerDelivery {
		out = out[:MaxUnitsPerDelivery]
	}
	return out, nil
}

type enqueueOutcome int

const (
	outcomeEnqueued   enqueueOutcome = iota + 1
	outcomeDeduped                   // the head already has its job
	outcomeStale                     // a check event for a head the PR has moved away from, or a closed PR
	outcomeInProgress                // a rerequest while the head's job is queued or running
)

// enqueue plans one unit into River within tx: lock the PR's head row, cancel the job of an older
// head, insert the job (unique per head), and record the new head.
func (b *riverBackend[TTx]) enqueue(ctx context.Context, tx TTx, d delivery, u unit, now int64) (int64, enqueueOutcome, error) {
	pr := prRef{InstallationID: u.InstallationID, RepoID: u.RepoID, Owner: u.Owner, Repo: u.Repo, Number: u.Number}
	h, err := lockPRHead(ctx, b.db, tx, pr, now)
	if err != nil {
		return 0, 0, err
	}
	if !u.Authoritative && h.HeadSHA != "" && (h.HeadSHA != u.HeadSHA || !h.Open) {
		return 0, outcomeStale, nil
	}
	if h.HeadSHA != u.HeadSHA && h.JobID != 0 {
		if err := b.cancel(ctx, tx, h.JobID); err != nil {
			return 0, 0, err
		}
	}
	args := reviewArgs{InstallationID: u.InstallationID, RepoID: u.RepoID, Owner: u.Owner, Repo: u.Repo,
		Number: u.Number, HeadSHA: u.HeadSHA, CheckRunID: u.CheckRunID, DeliveryID: d.GUID}
	if u.Trigger == triggerRerun {
		if h.HeadSHA == u.HeadSHA && h.JobID != 0 {
			job, err := b.client.JobGetTx(ctx, tx, h.JobID)
			switch {
			case errors.Is(err, river.ErrNotFound):
			case err != nil:
				return 0, 0, fmt.Errorf("get job %d: %w", h.JobID, err)
			case !finalized(job.State):
				return h.JobID, outcomeInProgress, nil
			}
		}
		args.Rerun = d.GUID
	}
	ins, err := b.client.InsertTx(ctx, tx, args, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}})
	if err != nil {
		return 0, 0, fmt.Errorf("enqueue %s/%s#%d@%s: %w", u.Owner, u.Repo, u.Number, u.HeadSHA, err)
	}
	if err := setPRHead(ctx, b.db, tx, pr, u.HeadSHA, ins.Job.ID, true, now); err != nil {
		return 0, 0, err
	}
	if ins.UniqueSkippedAsDuplicate {
		return ins.Job.ID, outcomeDeduped, nil
	}
	return ins.Job.ID, outcomeEnqueued, nil
}

// cancel cancels a job (queued: at once; running: its context is cancelled by the client running it);
// finished or deleted jobs are left alone.
func (b *riverBackend[TTx]) cancel(ctx context.Context, tx TTx, id int64) error {
	if id == 0 {
		return nil
	}
	if _, err := b.client.JobCancelTx(ctx, tx, id); err != nil && !errors.Is(err, river.ErrNotFound) {
		return fmt.Errorf("cancel job %d: %w", id, err)
	}
	return nil
}

func finalized(s rivertype.JobState) bool {
	switch s {
	case rivertype.JobStateCancelled, rivertype.JobStateCompleted, rivertype.JobStateDiscarded:
		return true
	}
	return false
}

func (b *riverBackend[TTx]) start(ctx context.Context) error {
	if err := b.client.Start(ctx); err != nil {
		return fmt.Errorf("start river: %w", err)
	}
	return nil
}

// stop waits for running jobs until ctx is done, then cancels them (they are retried later).
func (b *riverBackend[TTx]) stop(ctx context.Context) error {
	err := b.client.Stop(ctx)
	if err == nil {
		return nil
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		hard, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := b.client.StopAndCancel(hard); err != nil {
			return fmt.Errorf("stop river: %w", err)
		}
		return nil
	}
	return fmt.Errorf("stop river: %w", err)
}

func (b *riverBackend[TTx]) ping(ctx context.Context) error { return b.db.Ping(ctx) }

func (b *riverBackend[TTx]) jobCounts(ctx context.Context) (map[string]int, error) {
	counts, err := b.driver.GetExecutor().JobCountByAllStates(ctx, &riverdriver.JobCountByAllStatesParams{})
	if err != nil {
		return nil, fmt.Errorf("count jobs: %w", err)
	}
	out := make(map[string]int, len(counts))
	for s, n := range counts {
		out[string(s)] = n
	}
	return out, nil
}

func (b *riverBackend[TTx]) cleanup(ctx context.Context, now time.Time) error {
	return deleteExpired(ctx, b.db, now)
}

// jobs lists up to maxListedJobs review jobs, oldest first (tests and the bench).
func (b *riverBackend[TTx]) jobs(ctx context.Context) ([]*rivertype.JobRow, error) {
	res, err := b.client.JobList(ctx, river.NewJobListParams().Kinds(reviewKind).First(maxListedJobs))
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	return res.Jobs, nil
}

// maxListedJobs is River's own cap on one JobList page.
const maxListedJobs = 10_000

func (b *riverBackend[TTx]) close() error { return b.db.Close() }

// minLevel drops records below min (River is chatty at info level).
type minLevel struct {
	min slog.Level
	h   slog.Handler
}

func (m minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= m.min && m.h.Enabled(ctx, l)
}
func (m minLevel) Handle(ctx context.Context, r slog.Record) error { return m.h.Handle(ctx, r) }
func (m minLevel) WithAttrs(a []slog.Attr) slog.Handler            { return minLevel{m.min, m.h.WithAttrs(a)} }
func (m minLevel) WithGroup(n string) slog.Handler                 { return minLevel{m.min, m.h.WithGroup(n)} }
