package registry

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func sri(algo string, sum []byte) string { return algo + "-" + base64.StdEncoding.EncodeToString(sum) }

func TestExpect(t *testing.T) {
	data := []byte("tarball bytes")
	s512, s384, s256, s1 := sha512.Sum512(data), sha512.Sum384(data), sha256.Sum256(data), sha1.Sum(data)
	other := sha512.Sum512([]byte("other"))
	good512, good384, good256, good1 := sri("sha512", s512[:]), sri("sha384", s384[:]), sri("sha256", s256[:]), sri("sha1", s1[:])
	bad512, bad1 := sri("sha512", other[:]), sri("sha1", make([]byte, 20))
	hex1 := hex.EncodeToString(s1[:])

	tests := []struct {
		name     string
		dist     Dist
		algo     string // "" when expect fails
		mismatch bool
	}{
		{name: "sha512", dist: Dist{Integrity: good512}, algo: "sha512"},
		{name: "sha384", dist: Dist{Integrity: good384}, algo: "sha384"},
		{name: "sha256", dist: Dist{Integrity: good256}, algo: "sha256"},
		{name: "sha1 integrity", dist: Dist{Integrity: good1}, algo: "sha1"},
		{name: "strongest wins: good sha1, bad sha512", dist: Dist{Integrity: good1 + " " + bad512}, algo: "sha512", mismatch: true},
		{name: "strongest wins: bad sha1, good sha512", dist: Dist{Integrity: bad1 + "  " + good512}, algo: "sha512"},
		{name: "any digest of the strongest algorithm", dist: Dist{Integrity: bad512 + " " + good512}, algo: "sha512"},
		{name: "SRI options ignored", dist: Dist{Integrity: good512 + "?foo"}, algo: "sha512"},
		{name: "integrity preferred over shasum", dist: Dist{Integrity: good256, Shasum: strings.Repeat("0", 40)}, algo: "sha256"},
		{name: "bad integrity not rescued by shasum", dist: Dist{Integrity: bad512, Shasum: hex1}, algo: "sha512", mismatch: true},
		{name: "shasum only", dist: Dist{Shasum: hex1}, algo: "sha1"},
		{name: "shasum upper-case", dist: Dist{Shasum: strings.ToUpper(hex1)}, algo: "sha1"},
		{name: "shasum mismatch", dist: Dist{Shasum: strings.Repeat("0", 40)}, algo: "sha1", mismatch: true},
		{name: "unknown algorithms only, falls back to shasum", dist: Dist{Integrity: "md5-AAAA sha999-BBBB", Shasum: hex1}, algo: "sha1"},
		{name: "truncated digest ignored", dist: Dist{Integrity: "sha512-" + base64.StdEncoding.EncodeToString(s512[:10]), Shasum: hex1}, algo: "sha1"},
		{name: "bad base64 ignored", dist: Dist{Integrity: "sha512-!!!!", Shasum: hex1}, algo: "sha1"},
		{name: "none", dist: Dist{}},
		{name: "garbage integrity, no shasum", dist: Dist{Integrity: "not-an-sri"}},
		{name: "malformed shasum", dist: Dist{Shasum: "xyz"}},
		{name: "short shasum", dist: Dist{Shasum: hex1[:38]}},
		{name: "integrity at the length limit", dist: Dist{Integrity: good512 + strings.Repeat(" ", MaxIntegrityLength-len(good512))}, algo: "sha512"},
		{name: "integrity over the length limit", dist: Dist{Integrity: good512 + strings.Repeat(" ", MaxIntegrityLength-len(good512)+1)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			exp, err := expect(tc.dist)
			if tc.algo == "" {
				if !errors.Is(err, ErrNoIntegrity) {
					t.Fatalf("err = %v, want ErrNoIntegrity", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if exp.algo != tc.algo {
				t.Errorf("algo = %s, want %s", exp.algo, tc.algo)
			}
			err = exp.verify("pkg", "1.0.0", data)
			var ie *IntegrityError
			if tc.mismatch != errors.As(err, &ie) {
				t.Fatalf("verify = %v, mismatch want %v", err, tc.mismatch)
			}
			if ie != nil && (ie.Name != "pkg" || ie.Version != "1.0.0" || ie.Algorithm != tc.algo || ie.Expected == "" || ie.Actual == "") {
				t.Errorf("IntegrityError = %+v", ie)
			}
		})
	}
}
