package ghapi

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/google/go-github/v60/github"
)

// Permanent reports whether err will not go away by repeating the request later: GitHub refused it (4xx
// other than a rate limit: not found, unprocessable, forbidden, bad credentials), or it was invalid
// (ErrInvalid, ErrTooManyFiles, ErrStaleHead). Network errors, 5xx answers, rate limits and cancelled
// contexts are not permanent: a queue should retry them.
func Permanent(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrInvalid) || errors.Is(err, ErrTooManyFiles) || errors.Is(err, ErrStaleHead) {
		return true
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var rl *RateLimitError
	var grl *github.RateLimitError
	var abuse *github.AbuseRateLimitError
	if errors.As(err, &rl) || errors.As(err, &grl) || errors.As(err, &abuse) {
		return false
	}
	if status := StatusCode(err); status >= 400 && status < 500 {
		return status != http.StatusTooManyRequests && status != http.StatusRequestTimeout
	}
	return false
}

// StatusCode returns the HTTP status of the GitHub answer that caused err (a go-github error, or an
// installation token request that failed), 0 when there was none.
func StatusCode(err error) int {
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return er.Response.StatusCode
	}
	var he *ghinstallation.HTTPError
	if errors.As(err, &he) && he.Response != nil {
		return he.Response.StatusCode
	}
	return 0
}

// RetryAt returns when a request that failed with a rate limit may succeed (to schedule the retry of a
// job then rather than at once); ok is false when err is not a rate limit.
func RetryAt(err error) (at time.Time, ok bool) {
	var rl *RateLimitError
	var grl *github.RateLimitError
	var abuse *github.AbuseRateLimitError
	switch {
	case errors.As(err, &rl):
		return rl.RetryAt, true
	case errors.As(err, &grl):
		return grl.Rate.Reset.Time, true
	case errors.As(err, &abuse):
		if abuse.RetryAfter != nil {
			return time.Now().Add(*abuse.RetryAfter), true
		}
		return time.Now().Add(secondaryBackoff), true
	}
	return time.Time{}, false
}
