package registry

import (
	"context"
	"errors"
	"fmt"
)

// MaxAttestationsSize bounds the attestations document Attestations downloads. It equals
// provenance.MaxDocumentSize (a test in analysis checks it) without making the registry client depend on
// sigstore-go.
const MaxAttestationsSize = 16 << 20

// ErrAttestationsURL reports a dist.attestations.url the client refuses to fetch.
var ErrAttestationsURL = errors.New("refused attestations URL")

// Attestations downloads the npm attestations document of m (GET dist.attestations.url), at most
// MaxAttestationsSize bytes, for provenance.Parse. Like dist.tarball, the URL is hostile: only http(s)
// URLs on the host of the package's registry are fetched, URLs on registry.npmjs.org or
// registry.yarnpkg.com are rewritten onto the configured registry, and anything else is
// ErrAttestationsURL. A manifest without dist.attestations is an error too.
func (c *Client) Attestations(ctx context.Context, m *Manifest) ([]byte, error) {
	if m == nil {
		return nil, errors.New("attestations: nil manifest")
	}
	if err := ValidateName(m.Name); err != nil {
		return nil, fmt.Errorf("attestations: %w", err)
	}
	id := m.Name + "@" + quoteBounded(m.Version)
	if m.Dist.Attestations == nil {
		return nil, fmt.Errorf("attestations %s: %w: no dist.attestations", id, ErrAttestationsURL)
	}
	reg, err := c.registryFor(m.Name)
	if err != nil {
		return nil, fmt.Errorf("attestations %s: %w", id, err)
	}
	u, err := registryURL(reg, m.Dist.Attestations.URL, "dist.attestations.url", ErrAttestationsURL)
	if err != nil {
		return nil, fmt.Errorf("attestations %s: %w", id, err)
	}
	data, err := c.get(ctx, u, reg, "application/json", MaxAttestationsSize)
	if err != nil {
		return nil, fmt.Errorf("attestations %s: %w", id, err)
	}
	return data, nil
}
