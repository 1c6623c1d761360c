package app

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	_ "modernc.org/sqlite" // the embedded database/sql driver "sqlite"
)

// Retention of mcpvet's own rows (River cleans its jobs itself: completed after 24 h).
const (
	// DeliveryRetention is how long a delivery id is remembered for deduplication. GitHub redelivers
	// (same X-GitHub-Delivery) only deliveries of the past 3 days.
	DeliveryRetention = 7 * 24 * time.Hour
	// ClosedPRRetention is how long the head of a closed pull request stays in the head map.
	ClosedPRRetention = 30 * 24 * time.Hour
	// cleanupInterval is how often Run deletes expired rows.
	cleanupInterval = time.Hour
	// sqliteBusyTimeout is how long SQLite waits on another process's lock before SQLITE_BUSY.
	sqliteBusyTimeout = 10 * time.Second
	// pgExtraConns is added to Workers for the PostgreSQL pool (River's listener and maintenance,
	// webhook transactions), unless the URL sets pool_max_conns.
	pgExtraConns = 8
	// migrationLockKey is the PostgreSQL advisory lock that serialises migrations of several replicas.
	migrationLockKey = 0x6d63707665740001
)

// dialect holds the few places SQLite and PostgreSQL SQL differ.
type dialect struct {
	name      string
	forUpdate string // row lock suffix for SELECT (SQLite transactions lock the whole database)
}

func sqliteDialect() dialect   { return dialect{name: "sqlite"} }
func postgresDialect() dialect { return dialect{name: "postgres", forUpdate: " FOR UPDATE"} }

// sqlDB is the small part of a database mcpvet's own tables need, over either River driver's
// transaction type (*sql.Tx for riversqlite, pgx.Tx for riverpgxv5). Queries use ? placeholders.
type sqlDB[TTx any] interface {
	Begin(ctx context.Context) (TTx, error)
	Commit(ctx context.Context, tx TTx) error
	Rollback(ctx context.Context, tx TTx) error
	Exec(ctx context.Context, tx TTx, query string, args ...any) (int64, error)
	Query(ctx context.Context, tx TTx, query string, args []any, row func(scan func(dest ...any) error) error) error
	Ping(ctx context.Context) error
	Close() error
	Dialect() dialect
	// MigrationLock serialises migrations across replicas until unlock is called.
	MigrationLock(ctx context.Context) (unlock func(), err error)
}

// inTx runs f in a transaction of db that is committed when f returns nil and rolled back otherwise
// (also when ctx is done by then).
func inTx[TTx any](ctx context.Context, db sqlDB[TTx], f func(tx TTx) error) error {
	tx, err := db.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := f(tx); err != nil {
		_ = db.Rollback(context.WithoutCancel(ctx), tx)
		return err
	}
	if err := db.Commit(ctx, tx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// rowScanner is what *sql.Rows and pgx.Rows share.
type rowScanner interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// eachRow hands every row of rows to row, stopping at its first error.
func eachRow(rows rowScanner, row func(scan func(dest ...any) error) error) error {
	for rows.Next() {
		if err := row(rows.Scan); err != nil {
			return err
		}
	}
	return rows.Err()
}

// sqliteDB is sqlDB over database/sql with modernc.org/sqlite.
type sqliteDB struct{ db *sql.DB }

// openSQLite opens (creating) the SQLite file at path as River's docs advise: WAL, a busy timeout,
// and a single connection (SQLite runs one writer at a time; River's concurrency otherwise meets
// SQLITE_BUSY). Transactions begin IMMEDIATE so a writer never has to upgrade a read lock.
func openSQLite(path string) (*sqliteDB, error) {
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(" +
		strconv.FormatInt(sqliteBusyTimeout.Milliseconds(), 10) + ")&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	ctx, cancel := context.WithTimeout(context.Background(), sqliteBusyTimeout+5*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	return &sqliteDB{db: db}, nil
}

func (s *sqliteDB) Begin(ctx context.Context) (*sql.Tx, error) { return s.db.BeginTx(ctx, nil) }
func (s *sqliteDB) Commit(_ context.Context, tx *sql.Tx) error { return tx.Commit() }
func (s *sqliteDB) Rollback(_ context.Context, tx *sql.Tx) error {
	if err := tx.Rollback(); err != nil && !errors.Is(err, sql.ErrTxDone) {
		return err
	}
	return nil
}

func (s *sqliteDB) Exec(ctx context.Context, tx *sql.Tx, query string, args ...any) (int64, error) {
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (s *sqliteDB) Query(ctx context.Context, tx *sql.Tx, query string, args []any, row func(scan func(dest ...any) error) error) error {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	return eachRow(rows, row)
}

func (s *sqliteDB) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// MigrationLock is a no-op: an SQLite file serves one process (River's migrations take SQLite's
// write lock statement by statement).
func (s *sqliteDB) MigrationLock(context.Context) (func(), error) { return func() {}, nil }
func (s *sqliteDB) Close() error                                  { return s.db.Close() }
func (s *sqliteDB) Dialect() dialect                              { return sqliteDialect() }

// pgDB is sqlDB over a pgx pool.
type pgDB struct{ pool *pgxpool.Pool }

// openPostgres connects to url; the pool gets workers+pgExtraConns connections unless the URL says
// otherwise (pool_max_conns).
func openPostgres(ctx context.Context, url string, workers int) (*pgDB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's parse errors redact the password; say which variable is wrong rather than quoting it.
		return nil, fmt.Errorf("parse %s: %w", EnvDB, err)
	}
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = int32(workers + pgExtraConns)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to postgres %s: %w", cfg.ConnConfig.Host, err)
	}
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := pool.Ping(pctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to postgres %s:%d: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Port, err)
	}
	return &pgDB{pool: pool}, nil
}

func (p *pgDB) Begin(ctx context.Context) (pgx.Tx, error)   { return p.pool.Begin(ctx) }
func (p *pgDB) Commit(ctx context.Context, tx pgx.Tx) error { return tx.Commit(ctx) }
func (p *pgDB) Rollback(ctx context.Context, tx pgx.Tx) error {
	if err := tx.Rollback(ctx); err != nil && !errors.Is(err, pgx.ErrTxClosed) {
		return err
	}
	return nil
}

func (p *pgDB) Exec(ctx context.Context, tx pgx.Tx, query string, args ...any) (int64, error) {
	tag, err := tx.Exec(ctx, rebind(query), args...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (p *pgDB) Query(ctx context.Context, tx pgx.Tx, query string, args []any, row func(scan func(dest ...any) error) error) error {
	rows, err := tx.Query(ctx, rebind(query), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	return eachRow(rows, row)
}

func (p *pgDB) Ping(ctx context.Context) error { return p.pool.Ping(ctx) }

// MigrationLock holds a session advisory lock on a connection of its own (River's migrations run in
// several transactions, so a transaction-scoped lock cannot cover them).
func (p *pgDB) MigrationLock(ctx context.Context) (func(), error) {
	conn, err := p.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("migration lock: %w", err)
	}
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock("+strconv.FormatInt(migrationLockKey, 10)+")"); err != nil {
		conn.Release()
		return nil, fmt.Errorf("migration lock: %w", err)
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := conn.Exec(ctx, "SELECT pg_advisory_unlock("+strconv.FormatInt(migrationLockKey, 10)+")"); err != nil {
			conn.Conn().Close(ctx) // closing the session releases the lock
		}
		conn.Release()
	}, nil
}
func (p *pgDB) Close() error     { p.pool.Close(); return nil }
func (p *pgDB) Dialect() dialect { return postgresDialect() }

// rebind turns ? placeholders into PostgreSQL's $1, $2, … (mcpvet's queries hold no literal '?').
func rebind(q string) string {
	if !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// migrations returns mcpvet's own tables, in order; each entry is one version (a list of
// statements). The SQL is common to SQLite and PostgreSQL: times are Unix milliseconds, booleans 0/1.
func migrations() [][]string {
	return [][]string{
		{ // 1
			`CREATE TABLE mcpvet_delivery (
			guid            TEXT PRIMARY KEY,
			event           TEXT NOT NULL,
			action          TEXT NOT NULL,
			installation_id BIGINT NOT NULL,
			repo            TEXT NOT NULL,
			units           INTEGER NOT NULL,
			received_at     BIGINT NOT NULL
		)`,
			`CREATE INDEX mcpvet_delivery_received_at ON mcpvet_delivery (received_at)`,
			// The head map: each pull request's current head and its job, also serving head SHA → PR
			// for check events that list no pull requests (fork heads).
			`CREATE TABLE mcpvet_pr_head (
			repo_id         BIGINT NOT NULL,
			number          INTEGER NOT NULL,
			owner           TEXT NOT NULL,
			name            TEXT NOT NULL,
			installation_id BIGINT NOT NULL,
			head_sha        TEXT NOT NULL,
			job_id          BIGINT NOT NULL,
			open            INTEGER NOT NULL,
			updated_at      BIGINT NOT NULL,
			PRIMARY KEY (repo_id, number)
		)`,
			`CREATE INDEX mcpvet_pr_head_sha ON mcpvet_pr_head (repo_id, head_sha)`,
			`CREATE TABLE mcpvet_installation (
			id         BIGINT PRIMARY KEY,
			account    TEXT NOT NULL,
			action     TEXT NOT NULL,
			updated_at BIGINT NOT NULL
		)`,
			`CREATE TABLE mcpvet_installation_repo (
			installation_id BIGINT NOT NULL,
			repo_id         BIGINT NOT NULL,
			full_name       TEXT NOT NULL,
			updated_at      BIGINT NOT NULL,
			PRIMARY KEY (installation_id, repo_id)
		)`,
		},
	}
}

// migrateOwn brings mcpvet's tables to the newest version inside tx.
func migrateOwn[TTx any](ctx context.Context, db sqlDB[TTx], tx TTx) error {
	if _, err := db.Exec(ctx, tx, `CREATE TABLE IF NOT EXISTS mcpvet_schema_version (version INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("create mcpvet_schema_version: %w", err)
	}
	all := migrations()
	version := 0
	found := false
	if err := db.Query(ctx, tx, `SELECT version FROM mcpvet_schema_version`, nil, func(scan func(...any) error) error {
		found = true
		return scan(&version)
	}); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if version > len(all) {
		return fmt.Errorf("database schema version %d is newer than this mcpvet's (%d): refusing to run an older binary on it", version, len(all))
	}
	for v := version; v < len(all); v++ {
		for _, stmt := range all[v] {
			if _, err := db.Exec(ctx, tx, stmt); err != nil {
				return fmt.Errorf("migration %d: %w", v+1, err)
			}
		}
	}
	var err error
	if !found {
		_, err = db.Exec(ctx, tx, `INSERT INTO mcpvet_schema_version (version) VALUES (?)`, len(all))
	} else if version != len(all) {
		_, err = db.Exec(ctx, tx, `UPDATE mcpvet_schema_version SET version = ?`, len(all))
	}
	if err != nil {
		return fmt.Errorf("record schema version: %w", err)
	}
	return nil
}

// prHead is a row of the head map.
type prHead struct {
	HeadSHA string
	JobID   int64
	Open    bool
}

// lockPRHead returns the pull request's row, creating an empty one first, locked for this
// transaction (PostgreSQL: FOR UPDATE; SQLite: the transaction holds the write lock).
func lockPRHead[TTx any](ctx context.Context, db sqlDB[TTx], tx TTx, pr prRef, now int64) (prHead, error) {
	if _, err := db.Exec(ctx, tx, `INSERT INTO mcpvet_pr_head (repo_id, number, owner, name, installation_id, head_sha, job_id, open, updated_at)
		VALUES (?, ?, ?, ?, ?, '', 0, 1, ?) ON CONFLICT (repo_id, number) DO NOTHING`,
		pr.RepoID, pr.Number, pr.Owner, pr.Repo, pr.InstallationID, now); err != nil {
		return prHead{}, fmt.Errorf("insert head of %s/%s#%d: %w", pr.Owner, pr.Repo, pr.Number, err)
	}
	var h prHead
	var open int
	err := db.Query(ctx, tx, `SELECT head_sha, job_id, open FROM mcpvet_pr_head WHERE repo_id = ? AND number = ?`+db.Dialect().forUpdate,
		[]any{pr.RepoID, pr.Number}, func(scan func(...any) error) error { return scan(&h.HeadSHA, &h.JobID, &open) })
	if err != nil {
		return prHead{}, fmt.Errorf("lock head of %s/%s#%d: %w", pr.Owner, pr.Repo, pr.Number, err)
	}
	h.Open = open != 0
	return h, nil
}

func setPRHead[TTx any](ctx context.Context, db sqlDB[TTx], tx TTx, pr prRef, sha string, jobID int64, open bool, now int64) error {
	o := 0
	if open {
		o = 1
	}
	if _, err := db.Exec(ctx, tx, `UPDATE mcpvet_pr_head SET owner = ?, name = ?, installation_id = ?, head_sha = ?, job_id = ?, open = ?, updated_at = ?
		WHERE repo_id = ? AND number = ?`, pr.Owner, pr.Repo, pr.InstallationID, sha, jobID, o, now, pr.RepoID, pr.Number); err != nil {
		return fmt.Errorf("record head of %s/%s#%d: %w", pr.Owner, pr.Repo, pr.Number, err)
	}
	return nil
}

// prsWithHead resolves a head SHA to the open pull requests of the repository whose recorded head it
// is (at most limit).
func prsWithHead[TTx any](ctx context.Context, db sqlDB[TTx], tx TTx, repoID int64, sha string, limit int) ([]int, error) {
	var out []int
	err := db.Query(ctx, tx, `SELECT number FROM mcpvet_pr_head WHERE repo_id = ? AND head_sha = ? AND open = 1 ORDER BY number LIMIT ?`,
		[]any{repoID, sha, limit}, func(scan func(...any) error) error {
			var n int
			if err := scan(&n); err != nil {
				return err
			}
			out = append(out, n)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("look up pull requests with head %s: %w", sha, err)
	}
	return out, nil
}

func recordInstallation[TTx any](ctx context.Context, db sqlDB[TTx], tx TTx, rec *installationRecord, now int64) error {
	if _, err := db.Exec(ctx, tx, `INSERT INTO mcpvet_installation (id, account, action, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET account = CASE WHEN excluded.account = '' THEN mcpvet_installation.account ELSE excluded.account END,
		action = excluded.action, updated_at = excluded.updated_at`, rec.ID, rec.Account, rec.Action, now); err != nil {
		return fmt.Errorf("record installation %d: %w", rec.ID, err)
	}
	for _, r := range rec.Added {
		if _, err := db.Exec(ctx, tx, `INSERT INTO mcpvet_installation_repo (installation_id, repo_id, full_name, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (installation_id, repo_id) DO UPDATE SET full_name = excluded.full_name, updated_at = excluded.updated_at`,
			rec.ID, r.ID, r.FullName, now); err != nil {
			return fmt.Errorf("record repository %d of installation %d: %w", r.ID, rec.ID, err)
		}
	}
	for _, r := range rec.Removed {
		if _, err := db.Exec(ctx, tx, `DELETE FROM mcpvet_installation_repo WHERE installation_id = ? AND repo_id = ?`, rec.ID, r.ID); err != nil {
			return fmt.Errorf("forget repository %d of installation %d: %w", r.ID, rec.ID, err)
		}
	}
	if rec.Action == "deleted" {
		if _, err := db.Exec(ctx, tx, `DELETE FROM mcpvet_installation_repo WHERE installation_id = ?`, rec.ID); err != nil {
			return fmt.Errorf("forget repositories of installation %d: %w", rec.ID, err)
		}
	}
	return nil
}

// deleteExpired removes delivery ids past DeliveryRetention and closed pull requests past
// ClosedPRRetention.
func deleteExpired[TTx any](ctx context.Context, db sqlDB[TTx], now time.Time) error {
	err := inTx(ctx, db, func(tx TTx) error {
		if _, err := db.Exec(ctx, tx, `DELETE FROM mcpvet_delivery WHERE received_at < ?`, now.Add(-DeliveryRetention).UnixMilli()); err != nil {
			return fmt.Errorf("deliveries: %w", err)
		}
		if _, err := db.Exec(ctx, tx, `DELETE FROM mcpvet_pr_head WHERE open = 0 AND updated_at < ?`, now.Add(-ClosedPRRetention).UnixMilli()); err != nil {
			return fmt.Errorf("pull request heads: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("cleanup: %w", err)
	}
	return nil
}
