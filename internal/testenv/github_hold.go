package testenv

import (
	"context"
	"fmt"
	"sync"
)

// ghHolds parks requests to chosen routes until they are released, so a test can stop a client at a
// known point of its work (for instance, kill a server while its review is being posted).
type ghHolds struct {
	mu      sync.Mutex
	gates   map[string]chan struct{} // route key → closed on release
	waiting int
}

// wait blocks while route is held; it reports false when ctx ended first.
func (h *ghHolds) wait(ctx context.Context, route *ghRoute) bool {
	h.mu.Lock()
	gate, ok := h.gates[route.key()]
	if ok {
		h.waiting++
	}
	h.mu.Unlock()
	if !ok {
		return true
	}
	defer func() {
		h.mu.Lock()
		h.waiting--
		h.mu.Unlock()
	}()
	select {
	case <-gate:
		return true
	case <-ctx.Done():
		return false
	}
}

// Hold parks every request to route (a served route such as "POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews",
// or its operation id) until Release. Held requests are answered normally once released; a client that
// gives up (or dies) while held gets nothing.
func (g *GitHub) Hold(route string) error {
	key := ""
	for _, rt := range githubRoutes {
		if route == rt.key() || route == rt.opID {
			key = rt.key()
			break
		}
	}
	if key == "" {
		return fmt.Errorf("hold: %q is not a route the fake serves", route)
	}
	g.holds.mu.Lock()
	defer g.holds.mu.Unlock()
	if g.holds.gates == nil {
		g.holds.gates = map[string]chan struct{}{}
	}
	if _, ok := g.holds.gates[key]; !ok {
		g.holds.gates[key] = make(chan struct{})
	}
	return nil
}

// Release lets every held request (and later ones) through.
func (g *GitHub) Release() {
	g.holds.mu.Lock()
	defer g.holds.mu.Unlock()
	for k, gate := range g.holds.gates {
		close(gate)
		delete(g.holds.gates, k)
	}
}

// Held reports how many requests are parked right now.
func (g *GitHub) Held() int {
	g.holds.mu.Lock()
	defer g.holds.mu.Unlock()
	return g.holds.waiting
}
