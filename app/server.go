// Package app provides mcpvet's GitHub App server: the webhook endpoint (signature verification,
// event planning, delivery deduplication), a durable work queue on River (SQLite embedded by default,
// PostgreSQL for several replicas), health and Prometheus endpoints, and the configuration read from
// the environment. The review itself is done by a Runner the caller supplies.
//
// The package never calls GitHub and holds no GitHub client: it must not import analysis/... (the
// Runner brings the engine), action/, or the publishing packages under app/ (app/ghapi, app/publish,
// app/pullreview) — those plug in through Runner and Metrics.InstrumentGitHub.
package app

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Limits on webhook requests.
const (
	// MaxWebhookBodyBytes is GitHub's own cap on webhook payloads (25 MB); larger bodies get 413.
	MaxWebhookBodyBytes = 25 << 20
	// MaxDeliveryIDLen bounds X-GitHub-Delivery (a GUID, 36 characters).
	MaxDeliveryIDLen = 128
	// MaxEventNameLen bounds X-GitHub-Event.
	MaxEventNameLen = 64
	// webhookTimeout bounds the database work of one delivery (GitHub waits 10 s for an answer).
	webhookTimeout = 8 * time.Second
	// readyTimeout bounds /readyz's database ping.
	readyTimeout = 2 * time.Second
	// readHeaderTimeout and idleTimeout protect the listener from slow clients.
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 60 * time.Second
	idleTimeout       = 120 * time.Second
)

// Server is mcpvet's App server: webhook intake, queue and workers over one database.
type Server struct {
	cfg     Config
	log     *slog.Logger
	backend backend
	metrics *Metrics
	runner  Runner

	mu      sync.Mutex
	started bool
	closed  bool
}

// New opens cfg.DB (SQLite file or PostgreSQL), migrates River's and mcpvet's tables, and builds the
// River client whose workers hand each unit of work to r. Nothing runs until Start or Run. Errors
// are *ConfigError (joined) for bad configuration.
func New(ctx context.Context, cfg Config, r Runner) (*Server, error) {
	if r == nil {
		return nil, errors.New("app.New: nil Runner")
	}
	if err := cfg.withDefaults(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: cfg.Logger, runner: r}
	s.metrics = newMetrics(func(ctx context.Context) (map[string]int, error) { return s.backend.jobCounts(ctx) }, s.log)
	b, err := openBackend(ctx, cfg, &reviewWorker{runner: r, metrics: s.metrics, log: s.log})
	if err != nil {
		return nil, err
	}
	s.backend = b
	return s, nil
}

// Metrics returns the server's metrics: its registry, served on /metrics, and InstrumentGitHub for
// the Runner's GitHub transport.
func (s *Server) Metrics() *Metrics { return s.metrics }

// Registry is Metrics().Registry().
func (s *Server) Registry() *prometheus.Registry { return s.metrics.registry }

// Handler routes POST /webhook, GET /healthz, GET /readyz and GET /metrics.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /webhook", s.serveWebhook)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", s.serveReady)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{ErrorLog: slogPrinter{s.log}}))
	return mux
}

// Start starts the workers (River's client: fetching, retries, rescue of orphaned jobs, cleanup)
// without listening; Handler can be served by the caller. Stop with Close.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("app: server is closed")
	}
	if s.started {
		return nil
	}
	if err := s.backend.start(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	s.started = true
	return nil
}

// Close stops the workers — running jobs get until ctx is done (or ShutdownTimeout when ctx has no
// deadline), then their contexts are cancelled and they are retried later — and closes the database.
func (s *Server) Close(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	var errs []error
	if s.started {
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, s.cfg.ShutdownTimeout)
			defer cancel()
		}
		if err := s.backend.stop(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if err := s.backend.close(); err != nil {
		errs = append(errs, fmt.Errorf("close database: %w", err))
	}
	return errors.Join(errs...)
}

// Run listens on cfg.Listen and serves until ctx is done; see Serve.
func (s *Server) Run(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.cfg.Listen, err)
	}
	return s.Serve(ctx, ln)
}

// Serve starts the workers, serves Handler on ln, deletes expired delivery ids hourly, and on ctx
// done shuts down gracefully: stop accepting, drain requests, let running jobs finish within
// ShutdownTimeout, close the database. It returns nil after a clean shutdown.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if err := s.Start(ctx); err != nil {
		ln.Close()
		return err
	}
	s.log.Info("mcpvet app server listening", "addr", ln.Addr().String(), "config", s.cfg)
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slogLogger(s.log),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	cleanupDone := make(chan struct{})
	go func() {
		defer close(cleanupDone)
		s.cleanupLoop(ctx)
	}()

	var err error
	select {
	case <-ctx.Done():
	case err = <-serveErr:
		err = fmt.Errorf("serve: %w", err)
	}
	s.log.Info("mcpvet app server shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()
	if serr := srv.Shutdown(shutdownCtx); serr != nil && err == nil {
		err = fmt.Errorf("shutdown http: %w", serr)
	}
	<-cleanupDone
	if cerr := s.Close(shutdownCtx); cerr != nil && err == nil {
		err = cerr
	}
	return err
}

func (s *Server) cleanupLoop(ctx context.Context) {
	t := time.NewTicker(cleanupInterval)
	defer t.Stop()
	for {
		if err := s.backend.cleanup(ctx, time.Now()); err != nil && ctx.Err() == nil {
			s.log.Warn("delete expired rows", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Server) serveReady(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := s.backend.ping(ctx); err != nil {
		s.log.Warn("not ready: database unreachable", "error", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, "database unreachable\n")
		return
	}
	io.WriteString(w, "ok\n")
}

// serveWebhook verifies, parses, persists and enqueues one delivery, answering in milliseconds:
// 202 persisted; 200 a delivery id seen before (nothing enqueued); 204 an event or action mcpvet does
// not act on; 400 malformed; 401 bad signature; 413 over MaxWebhookBodyBytes; 415 content type;
// 500 database failure (GitHub then shows the delivery as failed, to be redelivered).
func (s *Server) serveWebhook(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	event := r.Header.Get("X-GitHub-Event")
	guid := r.Header.Get("X-GitHub-Delivery")
	log := s.log.With("delivery", truncate(guid, MaxDeliveryIDLen), "event", truncate(event, MaxEventNameLen))
	answer := func(code int, result, msg string) {
		s.metrics.delivery(event, result)
		s.metrics.ack.Observe(time.Since(start).Seconds())
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(code)
		if code != http.StatusNoContent {
			io.WriteString(w, msg+"\n")
		}
	}

	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxWebhookBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			log.Warn("webhook body too large", "limit", MaxWebhookBodyBytes)
			answer(http.StatusRequestEntityTooLarge, resultTooLarge, fmt.Sprintf("body over %d bytes", MaxWebhookBodyBytes))
			return
		}
		log.Warn("read webhook body", "error", err)
		answer(http.StatusBadRequest, resultBadRequest, "could not read body")
		return
	}
	if err := verifySignature(r.Header.Get("X-Hub-Signature-256"), body, s.cfg.WebhookSecret); err != nil {
		log.Warn("webhook rejected", "reason", err.Error())
		answer(http.StatusUnauthorized, resultUnauthorized, err.Error())
		return
	}
	if !validHeaderToken(event, MaxEventNameLen, false) {
		answer(http.StatusBadRequest, resultBadRequest, "missing or malformed X-GitHub-Event")
		return
	}
	if !validHeaderToken(guid, MaxDeliveryIDLen, true) {
		answer(http.StatusBadRequest, resultBadRequest, "missing or malformed X-GitHub-Delivery")
		return
	}
	if !handledEvent(event) {
		answer(http.StatusNoContent, resultIgnored, "")
		return
	}
	payload, err := payloadOf(r.Header.Get("Content-Type"), body)
	if err != nil {
		code := http.StatusBadRequest
		if errors.Is(err, errContentType) {
			code = http.StatusUnsupportedMediaType
		}
		answer(code, resultBadRequest, err.Error())
		return
	}
	parsed, lenient, err := parseWebHook(event, payload)
	if err != nil {
		log.Warn("unparsable webhook payload", "error", truncate(err.Error(), 200))
		answer(http.StatusBadRequest, resultBadRequest, "payload is not valid JSON for this event")
		return
	}
	if lenient {
		log.Warn("webhook payload has timestamps that are not RFC 3339; they were ignored")
	}
	p, err := planDelivery(event, parsed, s.cfg.AppID)
	if errors.Is(err, errIgnore) {
		answer(http.StatusNoContent, resultIgnored, "")
		return
	}
	if err != nil {
		log.Warn("unusable webhook payload", "error", err)
		answer(http.StatusBadRequest, resultBadRequest, err.Error())
		return
	}
	log = log.With("action", p.Action, "installation", p.InstallationID)
	if p.Repo != "" {
		log = log.With("repo", p.Repo)
	}
	if p.Dropped > 0 {
		log.Warn("delivery asks for more than mcpvet takes from one delivery; the rest is dropped", "dropped", p.Dropped)
	}
	ctx, cancel := context.WithTimeout(r.Context(), webhookTimeout)
	defer cancel()
	res, err := s.backend.persist(ctx, delivery{GUID: guid, Event: event, Received: start}, p)
	if err != nil {
		log.Error("persist webhook delivery", "error", err)
		answer(http.StatusInternalServerError, resultError, "could not record the delivery")
		return
	}
	if res.Duplicate {
		log.Info("duplicate delivery: nothing enqueued")
		answer(http.StatusOK, resultDuplicate, "duplicate delivery")
		return
	}
	for _, u := range p.Units {
		if u.Number == 0 {
			log.Info("webhook accepted: head resolved through the head map", "sha", u.HeadSHA, "trigger", triggerName(u.Trigger))
			continue
		}
		log.Info("webhook accepted", "pr", u.Number, "sha", u.HeadSHA, "trigger", triggerName(u.Trigger))
	}
	log.Info("delivery persisted", "jobs", res.Enqueued, "deduplicated", res.Deduped, "skipped", res.Skipped,
		"ms", time.Since(start).Milliseconds())
	answer(http.StatusAccepted, resultAccepted, fmt.Sprintf("accepted: %d enqueued, %d already queued or done, %d skipped",
		len(res.Enqueued), res.Deduped, res.Skipped))
}

func triggerName(t trigger) string {
	if t == triggerRerun {
		return "rerun"
	}
	return "auto"
}

// errSignature* explain a 401 (safe to return: they quote nothing from the request or the secret).
var (
	errSignatureMissing = errors.New("missing X-Hub-Signature-256 (SHA-1 X-Hub-Signature is not accepted)")
	errSignatureFormat  = errors.New("X-Hub-Signature-256 is not sha256=<64 hex digits>")
	errSignatureWrong   = errors.New("X-Hub-Signature-256 does not match the body")
	errContentType      = errors.New("content type must be application/json or application/x-www-form-urlencoded")
)

// verifySignature checks GitHub's X-Hub-Signature-256: "sha256=" and the hex HMAC-SHA256 of the raw
// body keyed with the webhook secret, compared in constant time. There is no SHA-1 fallback.
func verifySignature(header string, body, secret []byte) error {
	if header == "" {
		return errSignatureMissing
	}
	hexSum, ok := strings.CutPrefix(header, "sha256=")
	if !ok || len(hexSum) != 2*sha256.Size {
		return errSignatureFormat
	}
	got, err := hex.DecodeString(hexSum)
	if err != nil {
		return errSignatureFormat
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return errSignatureWrong
	}
	return nil
}

// validHeaderToken accepts 1..max characters of [a-z_] (event names) or, for ids, [A-Za-z0-9-].
func validHeaderToken(s string, max int, id bool) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c == '_' && !id:
		case id && (c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-'):
		default:
			return false
		}
	}
	return true
}

// payloadOf returns the JSON payload of a body: the body itself (application/json) or its payload
// form field (application/x-www-form-urlencoded; the signature covers the raw body either way).
func payloadOf(contentType string, body []byte) ([]byte, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return nil, errContentType
	}
	switch mt {
	case "application/json":
		return body, nil
	case "application/x-www-form-urlencoded":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, errors.New("malformed form body")
		}
		p := form.Get("payload")
		if p == "" {
			return nil, errors.New("form body has no payload field")
		}
		return []byte(p), nil
	}
	return nil, errContentType
}

// slogPrinter adapts slog for promhttp's error log.
type slogPrinter struct{ log *slog.Logger }

func (p slogPrinter) Println(v ...any) { p.log.Warn("metrics: " + fmt.Sprint(v...)) }

// slogLogger adapts slog for net/http's error log (TLS handshakes, malformed requests).
func slogLogger(l *slog.Logger) *log.Logger {
	return slog.NewLogLogger(l.Handler(), slog.LevelWarn)
}
