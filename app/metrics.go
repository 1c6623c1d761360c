package app

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metric names served on /metrics.
const (
	MetricDeliveries         = "mcpvet_webhook_deliveries_total"    // counter {event, result}
	MetricAckSeconds         = "mcpvet_webhook_ack_seconds"         // histogram: receipt → response
	MetricJobs               = "mcpvet_jobs"                        // gauge {state}: River jobs in the database
	MetricJobDuration        = "mcpvet_job_duration_seconds"        // histogram {result}: one Runner attempt
	MetricGitHubRequests     = "mcpvet_github_requests_total"       // counter {method, code}
	MetricGitHubRateLimit    = "mcpvet_github_rate_limit_remaining" // gauge {resource}: last X-RateLimit-Remaining seen
	metricJobCountErrors     = "mcpvet_jobs_count_errors_total"     // counter: scrapes whose job count query failed
	jobCountTimeout          = 2 * time.Second                      // a scrape never waits longer on the database
	maxRateLimitResourceName = 32                                   // longer X-RateLimit-Resource values are reported as "other"
)

// Delivery results (the result label of MetricDeliveries).
const (
	resultAccepted     = "accepted"     // persisted (and its work enqueued)
	resultDuplicate    = "duplicate"    // a delivery id seen before: nothing enqueued
	resultIgnored      = "ignored"      // an event or action mcpvet does not act on
	resultUnauthorized = "unauthorized" // missing or wrong X-Hub-Signature-256
	resultTooLarge     = "too_large"    // body over MaxWebhookBodyBytes
	resultBadRequest   = "bad_request"  // malformed headers or payload
	resultError        = "error"        // the database failed
)

// Job results (the result label of MetricJobDuration).
const (
	jobOK         = "ok"
	jobRetry      = "retry"      // a transient Runner error: River retries with backoff
	jobPermanent  = "permanent"  // a PermanentError: not retried
	jobSuperseded = "superseded" // cancelled because the PR moved to a newer head, or closed
	jobTimeout    = "timeout"    // the attempt hit JobTimeout (retried)
)

// Metrics holds the server's Prometheus series. The Runner side reports GitHub traffic through
// InstrumentGitHub.
type Metrics struct {
	registry    *prometheus.Registry
	deliveries  *prometheus.CounterVec
	ack         prometheus.Histogram
	jobDuration *prometheus.HistogramVec
	ghRequests  *prometheus.CounterVec
	ghRemaining *prometheus.GaugeVec
}

// eventLabel bounds the event label: events mcpvet does not subscribe to are counted as "other".
func eventLabel(event string) string {
	switch event {
	case eventPullRequest, eventCheckRun, eventCheckSuite, eventInstallation, eventInstallationRepos, eventPing:
		return event
	}
	return "other"
}

func newMetrics(counts func(context.Context) (map[string]int, error), log *slog.Logger) *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: MetricDeliveries, Help: "Webhook deliveries received, by event and result.",
		}, []string{"event", "result"}),
		ack: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: MetricAckSeconds, Help: "Time from receiving a webhook to answering it.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}),
		jobDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: MetricJobDuration, Help: "Duration of one review attempt, by result.",
			Buckets: []float64{.1, .5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200},
		}, []string{"result"}),
		ghRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: MetricGitHubRequests, Help: "GitHub API requests made by the Runner, by method and status code (0: no response).",
		}, []string{"method", "code"}),
		ghRemaining: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: MetricGitHubRateLimit, Help: "X-RateLimit-Remaining of the last GitHub response, by X-RateLimit-Resource.",
		}, []string{"resource"}),
	}
	m.registry.MustRegister(m.deliveries, m.ack, m.jobDuration, m.ghRequests, m.ghRemaining,
		&jobCollector{counts: counts, log: log, errs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: metricJobCountErrors, Help: "Scrapes whose job count query failed.",
		})},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry is the registry /metrics serves; callers may register their own collectors on it.
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

func (m *Metrics) delivery(event, result string) {
	m.deliveries.WithLabelValues(eventLabel(event), result).Inc()
}

// InstrumentGitHub wraps next (nil: http.DefaultTransport) so that every GitHub API request is counted
// in mcpvet_github_requests_total and every response's X-RateLimit-Remaining is exported as
// mcpvet_github_rate_limit_remaining. Wrap the transport under ghinstallation's, so token requests
// count too.
func (m *Metrics) InstrumentGitHub(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		resp, err := next.RoundTrip(req)
		code := "0"
		if resp != nil {
			code = strconv.Itoa(resp.StatusCode)
			if resp.StatusCode < 100 || resp.StatusCode > 599 {
				code = "other"
			}
			if v := resp.Header.Get("X-RateLimit-Remaining"); v != "" {
				if n, perr := strconv.ParseInt(v, 10, 64); perr == nil && n >= 0 {
					m.ghRemaining.WithLabelValues(rateLimitResource(resp.Header.Get("X-RateLimit-Resource"))).Set(float64(n))
				}
			}
		}
		m.ghRequests.WithLabelValues(methodLabel(req.Method), code).Inc()
		return resp, err
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return m
	case "":
		return http.MethodGet
	}
	return "other"
}

// rateLimitResource bounds the resource label to short lowercase names ("core", "search", "graphql", …).
func rateLimitResource(s string) string {
	if s == "" {
		return "core"
	}
	if len(s) > maxRateLimitResourceName {
		return "other"
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r == '_' || r == '-' || r >= '0' && r <= '9') {
			return "other"
		}
	}
	return s
}

// jobCollector reports River's job counts by state at scrape time.
type jobCollector struct {
	counts func(context.Context) (map[string]int, error)
	log    *slog.Logger
	errs   prometheus.Counter
}

var jobsDesc = prometheus.NewDesc(MetricJobs, "River jobs in the database, by state.", []string{"state"}, nil)

func (c *jobCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- jobsDesc
	c.errs.Describe(ch)
}

func (c *jobCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), jobCountTimeout)
	defer cancel()
	counts, err := c.counts(ctx)
	if err != nil {
		c.errs.Inc()
		c.log.Warn("count jobs for /metrics", "error", err)
	}
	for state, n := range counts {
		ch <- prometheus.MustNewConstMetric(jobsDesc, prometheus.GaugeValue, float64(n), state)
	}
	c.errs.Collect(ch)
}
