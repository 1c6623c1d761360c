package registry

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strings"
)

// MaxIntegrityLength bounds the dist.integrity string considered (a handful of hashes are ~100 bytes
// each).
const MaxIntegrityLength = 4096

// ErrNoIntegrity reports a version whose dist has neither a usable integrity nor a shasum: its tarball
// cannot be verified, so it is not downloaded.
var ErrNoIntegrity = errors.New("no integrity or shasum published")

// IntegrityError reports a tarball whose bytes do not match the digest the registry published. The bytes
// are never returned with it. Expected and Actual use the notation of the published value: SRI
// ("sha512-<base64>") for dist.integrity, hex for dist.shasum.
type IntegrityError struct {
	Name, Version, Algorithm, Expected, Actual string
}

// Error implements error.
func (e *IntegrityError) Error() string {
	return fmt.Sprintf("integrity mismatch for %s@%s: %s expected %s, got %s",
		e.Name, quoteBounded(e.Version), e.Algorithm, quoteBounded(e.Expected), e.Actual)
}

// hashAlgorithm is a supported SRI hash algorithm.
type hashAlgorithm struct {
	name string
	size int
	new  func() hash.Hash
}

// hashAlgorithms lists the supported hash algorithms, strongest first.
func hashAlgorithms() []hashAlgorithm {
	return []hashAlgorithm{
		{"sha512", sha512.Size, sha512.New},
		{"sha384", sha512.Size384, sha512.New384},
		{"sha256", sha256.Size, sha256.New},
		{"sha1", sha1.Size, sha1.New},
	}
}

// expectation is what a tarball must hash to: the strongest algorithm dist names and every digest given
// for it (any one matching is enough, as with ssri).
type expectation struct {
	algo    string
	newHash func() hash.Hash
	digests [][]byte
	sri     bool   // from dist.integrity (else dist.shasum)
	text    string // the published value(s) for this algorithm, for error messages
}

// expect picks what to verify a tarball against: dist.integrity's strongest supported algorithm
// (sha512, sha384, sha256, sha1; malformed or unknown entries are ignored), or, only when integrity
// yields nothing, the hex SHA-1 in dist.shasum.
func expect(d Dist) (*expectation, error) {
	if len(d.Integrity) <= MaxIntegrityLength {
		algorithms := hashAlgorithms()
		found := make(map[string][][]byte)
		texts := make(map[string][]string)
		for _, entry := range strings.Fields(d.Integrity) {
			algo, b64, ok := strings.Cut(entry, "-")
			if !ok {
				continue
			}
			b64, _, _ = strings.Cut(b64, "?") // SRI options
			digest, err := base64.StdEncoding.DecodeString(b64)
			if err != nil {
				continue
			}
			for _, a := range algorithms {
				if a.name == algo && len(digest) == a.size {
					found[algo] = append(found[algo], digest)
					texts[algo] = append(texts[algo], algo+"-"+b64)
				}
			}
		}
		for _, a := range algorithms {
			if ds := found[a.name]; len(ds) > 0 {
				return &expectation{algo: a.name, newHash: a.new, digests: ds, sri: true, text: strings.Join(texts[a.name], " ")}, nil
			}
		}
	}
	if d.Shasum != "" {
		digest, err := hex.DecodeString(strings.ToLower(strings.TrimSpace(d.Shasum)))
		if err != nil || len(digest) != sha1.Size {
			return nil, fmt.Errorf("%w (dist.shasum is not a hex SHA-1)", ErrNoIntegrity)
		}
		return &expectation{algo: "sha1", newHash: sha1.New, digests: [][]byte{digest}, text: hex.EncodeToString(digest)}, nil
	}
	return nil, ErrNoIntegrity
}

// sum hashes data with the expected algorithm.
func (e *expectation) sum(data []byte) []byte {
	h := e.newHash()
	h.Write(data)
	return h.Sum(nil)
}

// verify checks data; on mismatch it returns an *IntegrityError naming name@version.
func (e *expectation) verify(name, version string, data []byte) error {
	got := e.sum(data)
	for _, want := range e.digests {
		if bytes.Equal(got, want) {
			return nil
		}
	}
	actual := hex.EncodeToString(got)
	if e.sri {
		actual = e.algo + "-" + base64.StdEncoding.EncodeToString(got)
	}
	return &IntegrityError{Name: name, Version: version, Algorithm: e.algo, Expected: e.text, Actual: actual}
}
