package testenv

import (
	"net/http"
	"net/http/httptest"
	"sync"
)

// loopback is the listening half every in-process fake shares: it serves the fake's handler on a
// loopback address from the first start until close.
type loopback struct {
	mu  sync.Mutex
	srv *httptest.Server
}

// start serves h (once; later calls return the same server) and returns its base URL.
func (l *loopback) start(h http.Handler) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.srv == nil {
		l.srv = httptest.NewServer(h)
	}
	return l.srv.URL
}

// close stops the server, if one was started; a later start serves again.
func (l *loopback) close() {
	l.mu.Lock()
	srv := l.srv
	l.srv = nil
	l.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}
