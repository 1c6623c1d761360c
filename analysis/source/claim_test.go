package source

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestParseRepositoryURL(t *testing.T) {
	tests := []struct {
		in                string
		host, owner, repo string
		dir, ref          string
	}{
		{"o/r", "github.com", "o", "r", "", ""},
		{"o/r#v1.2", "github.com", "o", "r", "", "v1.2"},
		{"github:o/r", "github.com", "o", "r", "", ""},
		{"github:o/r#main", "github.com", "o", "r", "", "main"},
		{"gitlab:group/proj", "gitlab.com", "group", "proj", "", ""},
		{"bitbucket:team/repo", "bitbucket.org", "team", "repo", "", ""},
		{"git+https://github.com/o/r.git", "github.com", "o", "r", "", ""},
		{"git+ssh://git@github.com/o/r.git", "github.com", "o", "r", "", ""},
		{"ssh://git@github.com/o/r", "github.com", "o", "r", "", ""},
		{"ssh://git@github.com:22/o/r.git", "github.com", "o", "r", "", ""},
		{"git://github.com/o/r.git", "github.com", "o", "r", "", ""},
		{"git@github.com:o/r.git", "github.com", "o", "r", "", ""},
		{"git@github.com:/o/r.git", "github.com", "o", "r", "", ""},
		{"git@github.com:o/r.git#v1.0", "github.com", "o", "r", "", "v1.0"},
		{"git@gitlab.com:group/sub/proj.git", "gitlab.com", "group/sub", "proj", "", ""},
		{"github.com/o/r#v2", "github.com", "o", "r", "", "v2"},
		{"https://github.com/o/r/tree/main/packages/x", "github.com", "o", "r", "packages/x", "main"},
		{"https://github.com/o/r/tree/main/packages/x/", "github.com", "o", "r", "packages/x", "main"},
		{"https://github.com/o/r/tree/v2", "github.com", "o", "r", "", "v2"},
		{"https://github.com/o/r#v1.2", "github.com", "o", "r", "", "v1.2"},
		{"https://github.com/o/r#semver:^1.0.0", "github.com", "o", "r", "", ""},
		{"http://www.github.com/O/R/", "github.com", "O", "R", "", ""},
		{"HTTPS://GitHub.com/o/r.GIT", "github.com", "o", "r", "", ""},
		{"https://github.com/o/r///", "github.com", "o", "r", "", ""},
		{"https://github.com/o/r/issues", "github.com", "o", "r", "", ""},
		{"https://github.com/o/r/issues/12", "github.com", "o", "r", "", ""},
		{"https://github.com/o/r/blob/main/README.md", "github.com", "o", "r", "", ""},
		{"https://user:pw@github.com/o/r.git", "github.com", "o", "r", "", ""},
		{"github.com/o/r", "github.com", "o", "r", "", ""},
		{"  https://github.com/my-org/my_repo.js  ", "github.com", "my-org", "my_repo.js", "", ""},
		{"https://gitlab.com/group/sub/proj.git", "gitlab.com", "group/sub", "proj", "", ""},
		{"https://gitlab.com/group/sub/proj/-/tree/main/pkg", "gitlab.com", "group/sub", "proj", "pkg", "main"},
		{"https://gitlab.com/group/proj/-/issues", "gitlab.com", "group", "proj", "", ""},
		{"https://bitbucket.org/team/repo/src/main/lib/", "bitbucket.org", "team", "repo", "lib", "main"},
		{"https://git.example.org:8443/a/b.git", "git.example.org:8443", "a", "b", "", ""},
		{"https://git.example.org:443/a/b.git", "git.example.org", "a", "b", "", ""},
		{"git+ssh://git@git.example.org:2222/a/b.git", "git.example.org", "a", "b", "", ""},
	}
	for _, tc := range tests {
		c, err := ParseRepositoryURL(tc.in)
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if c.Host != tc.host || c.Owner != tc.owner || c.Repo != tc.repo || c.Directory != tc.dir || c.Ref != tc.ref {
			t.Errorf("%q = %+v, want %s %s %s dir=%q ref=%q", tc.in, c, tc.host, tc.owner, tc.repo, tc.dir, tc.ref)
		}
		if c.Inferred || c.Source != "repository" || c.Raw != tc.in {
			t.Errorf("%q: Inferred=%v Source=%q Raw=%q", tc.in, c.Inferred, c.Source, c.Raw)
		}
	}
}

func TestParseRepositoryURLRefused(t *testing.T) {
	tests := []string{
		"",
		"   ",
		"gist:11081aaa281",
		"file:///etc/passwd",
		"ftp://github.com/o/r",
		"ext::sh -c evil",
		"svn+https://example.com/o/r",
		"https://github.com/o",
		"https://github.com/",
		"https://github.com/orgs/acme",
		"https://github.com/sponsors/someone",
		"https://github.com/o/r/tree/main/../../etc",
		"https://github.com/o/r/tree/main/a/../../b",
		"https://github.com/o/r/tree/main/a\\b",
		"https://github.com/o/r#bad..ref",
		"https://github.com/o/r#-rf",
		"https://github.com/o/r#a:b",
		"https://github.com/o/%2E%2E",
		"https://github.com/o/..",
		"https://github.com/o/r%20x",
		"https://github.com/o/r\x00",
		"https://github.com/o/r\nx",
		"https://exa_mple.com/o/r",
		"https://[::1]/o/r",
		"https://github.com:99999/o/r",
		"o/r/extra",
		"just-a-name",
		"https://github.com/" + strings.Repeat("a", MaxNameLength+1) + "/r",
		"https://gitlab.com/" + strings.Repeat("g/", MaxPathSegments) + "r",
		"https://github.com/o/r#" + strings.Repeat("a", MaxRefLength+1),
		"https://github.com/o/r/tree/main/" + strings.Repeat("d", MaxDirectoryLength+1),
		"https://github.com/o/" + strings.Repeat("r", MaxURLLength),
	}
	for _, in := range tests {
		if c, err := ParseRepositoryURL(in); err == nil {
			t.Errorf("%q accepted: %+v", in, c)
		} else if !errors.Is(err, ErrInvalidClaim) {
			t.Errorf("%q: error %v is not ErrInvalidClaim", in, err)
		}
	}
}

func TestClaimLimitsAtBoundary(t *testing.T) {
	name := strings.Repeat("a", MaxNameLength)
	if _, err := ParseRepositoryURL("https://github.com/" + name + "/" + name); err != nil {
		t.Errorf("names of %d bytes: %v", MaxNameLength, err)
	}
	if _, err := ParseRepositoryURL("https://github.com/o/r#" + strings.Repeat("a", MaxRefLength)); err != nil {
		t.Errorf("ref of %d bytes: %v", MaxRefLength, err)
	}
	if _, err := ParseRepositoryURL("https://gitlab.com/" + strings.Repeat("g/", MaxPathSegments-1) + "r"); err != nil {
		t.Errorf("%d path segments: %v", MaxPathSegments, err)
	}
	dir := strings.Repeat("d", MaxDirectoryLength)
	if c, err := ParseRepositoryURL("https://github.com/o/r/tree/main/" + dir); err != nil || c.Directory != dir {
		t.Errorf("directory of %d bytes: %v", MaxDirectoryLength, err)
	}
	// A valid URL of exactly MaxURLLength bytes (trailing slashes are
	// ignored), and one byte more.
	u := "https://gitlab.com/" + strings.Repeat(strings.Repeat("g", MaxNameLength)+"/", 19) + "r"
	u += strings.Repeat("/", MaxURLLength-len(u))
	if len(u) != MaxURLLength {
		t.Fatalf("test URL is %d bytes", len(u))
	}
	if _, err := ParseRepositoryURL(u); err != nil {
		t.Errorf("URL of %d bytes: %v", MaxURLLength, err)
	}
	if _, err := ParseRepositoryURL(u + "/"); err == nil {
		t.Errorf("URL of %d bytes accepted", MaxURLLength+1)
	}
	raw := json.RawMessage(`"o/r"` + strings.Repeat(" ", MaxClaimBytes-5))
	if _, err := ParseRepository(raw); err != nil {
		t.Errorf("repository of %d bytes: %v", MaxClaimBytes, err)
	}
	if _, err := ParseRepository(append(raw, ' ')); err == nil {
		t.Errorf("repository of %d bytes accepted", MaxClaimBytes+1)
	}
}

func TestParseRepository(t *testing.T) {
	tests := []struct {
		raw      string
		want     string
		dir, ref string
		wantErr  bool
	}{
		{raw: `"github:o/r"`, want: "github.com/o/r"},
		{raw: `{"type":"git","url":"git+https://github.com/o/r.git"}`, want: "github.com/o/r"},
		{raw: `{"type":"git","url":"https://github.com/o/r.git","directory":"packages/x"}`, want: "github.com/o/r", dir: "packages/x"},
		{raw: `{"url":"https://github.com/o/r/tree/main/a","directory":"./packages//y/"}`, want: "github.com/o/r", dir: "packages/y", ref: "main"},
		{raw: `{"url":"https://github.com/o/r","directory":"."}`, want: "github.com/o/r"},
		{raw: `{"url":"https://github.com/o/r","directory":"../x"}`, wantErr: true},
		{raw: `{"url":"https://github.com/o/r","directory":"/abs"}`, wantErr: true},
		{raw: `{"url":"https://github.com/o/r","directory":"a/../../x"}`, wantErr: true},
		{raw: `{"url":"https://github.com/o/r","directory":42}`, wantErr: true},
		{raw: `{"type":"svn","url":"https://github.com/o/r"}`, wantErr: true},
		{raw: `{"type":"git"}`, wantErr: true},
		{raw: `{"url":"gist:abc"}`, wantErr: true},
		{raw: `null`, wantErr: true},
		{raw: ``, wantErr: true},
		{raw: `42`, wantErr: true},
		{raw: `["o/r"]`, wantErr: true},
		{raw: `"`, wantErr: true},
	}
	for _, tc := range tests {
		c, err := ParseRepository(json.RawMessage(tc.raw))
		if tc.wantErr {
			if err == nil {
				t.Errorf("%s accepted: %+v", tc.raw, c)
			} else if !errors.Is(err, ErrInvalidClaim) {
				t.Errorf("%s: %v is not ErrInvalidClaim", tc.raw, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.raw, err)
			continue
		}
		if c.String() != tc.want || c.Directory != tc.dir || c.Ref != tc.ref || c.Source != "repository" || c.Inferred {
			t.Errorf("%s = %+v (%s)", tc.raw, c, c.String())
		}
	}
}

func TestInferCandidates(t *testing.T) {
	readme := []byte(`# tool
[![CI](https://github.com/acme/tool/actions/workflows/ci.yml/badge.svg)](https://github.com/acme/tool/actions)
Built on https://github.com/modelcontextprotocol/typescript-sdk.
See github.com/acme/tool/issues and https://www.github.com/Acme/Tool.git.
Also https://api.github.com/repos/evil/one and https://gist.github.com/someone/abc
and notgithub.com/x/y and https://github.com/orgs/acme and https://github.com/user-attachments/assets/x
and https://raw.githubusercontent.com/acme/other/main/x.png and git@github.com:acme/other.git
`)
	got := InferCandidates(json.RawMessage(`"https://example.com/docs"`),
		json.RawMessage(`{"url":"https://github.com/acme/tool-issues/issues","email":"x@example.com"}`), readme)
	want := []string{"github.com/acme/tool-issues", "github.com/acme/tool", "github.com/modelcontextprotocol/typescript-sdk", "github.com/acme/other"}
	var names []string
	for _, c := range got {
		names = append(names, c.String())
		if !c.Inferred {
			t.Errorf("%s not inferred", c)
		}
	}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("InferCandidates = %v, want %v", names, want)
	}
	if got[0].Source != "bugs.url" || got[1].Source != "README" {
		t.Errorf("sources %q %q", got[0].Source, got[1].Source)
	}

	// Homepage first, its #fragment is an anchor, not a ref; dedupe across sources.
	got = InferCandidates(json.RawMessage(`"https://github.com/acme/tool#readme"`), json.RawMessage(`"https://github.com/ACME/tool/issues"`), []byte("https://github.com/acme/tool"))
	if len(got) != 1 || got[0].Source != "homepage" || got[0].Ref != "" {
		t.Errorf("dedupe/homepage: %+v", got)
	}
	// Homepage on a monorepo folder keeps the folder.
	got = InferCandidates(json.RawMessage(`"https://github.com/acme/mono/tree/main/packages/srv#readme"`), nil, nil)
	if len(got) != 1 || got[0].Directory != "packages/srv" {
		t.Errorf("monorepo homepage: %+v", got)
	}
	// Non-forge homepages, shorthands and junk are ignored.
	if got := InferCandidates(json.RawMessage(`"acme/tool"`), json.RawMessage(`{"url":42}`), nil); len(got) != 0 {
		t.Errorf("junk inferred: %+v", got)
	}
	// gitlab from a homepage is fine; gitlab in a README is not looked for.
	got = InferCandidates(json.RawMessage(`"https://gitlab.com/g/p"`), nil, []byte("https://gitlab.com/g/q"))
	if len(got) != 1 || got[0].Host != "gitlab.com" {
		t.Errorf("gitlab homepage: %+v", got)
	}
}

func TestInferCandidatesBounds(t *testing.T) {
	var b strings.Builder
	for i := range 8 {
		for range 8 - i { // repo i appears 8-i times
			b.WriteString("https://github.com/o/r" + string(rune('a'+i)) + "\n")
		}
	}
	got := InferCandidates(nil, nil, []byte(b.String()))
	if len(got) != MaxCandidates {
		t.Fatalf("%d candidates, want %d", len(got), MaxCandidates)
	}
	for i, c := range got {
		if c.Repo != "r"+string(rune('a'+i)) {
			t.Errorf("candidate %d = %s: not ordered by frequency", i, c)
		}
	}
	// A link that ends exactly at MaxReadmeScanBytes is found; one starting
	// after it is not.
	link := "https://github.com/edge/repo"
	readme := []byte(strings.Repeat(" ", MaxReadmeScanBytes-len(link)) + link + " https://github.com/late/repo")
	got = InferCandidates(nil, nil, readme)
	if len(got) != 1 || got[0].String() != "github.com/edge/repo" {
		t.Errorf("README boundary: %+v", got)
	}
	// At most MaxReadmeLinks distinct repositories are counted: a frequent
	// link first seen after them is not.
	for _, distinct := range []int{MaxReadmeLinks - 1, MaxReadmeLinks} {
		b.Reset()
		for i := range distinct {
			fmt.Fprintf(&b, "https://github.com/o/n%d\n", i)
		}
		b.WriteString(strings.Repeat("https://github.com/late/frequent\n", 3))
		got := InferCandidates(nil, nil, []byte(b.String()))
		found := len(got) > 0 && got[0].String() == "github.com/late/frequent"
		if found != (distinct < MaxReadmeLinks) {
			t.Errorf("%d distinct links before: frequent link found=%v", distinct, found)
		}
	}
}

func TestClaimValidate(t *testing.T) {
	bad := []Claim{
		{Host: "github.com", Owner: "a/b", Repo: "r"},
		{Host: "github.com", Owner: "o", Repo: "r.git"},
		{Host: "github.com", Owner: "..", Repo: "r"},
		{Host: "github.com", Owner: "o", Repo: "r", Directory: "../x"},
		{Host: "Git Hub", Owner: "o", Repo: "r"},
		{Host: "", Owner: "o", Repo: "r"},
		{Host: "gitlab.com", Owner: "g//s", Repo: "r"},
	}
	for _, c := range bad {
		if err := c.validate(); !errors.Is(err, ErrInvalidClaim) {
			t.Errorf("%+v: err = %v", c, err)
		}
	}
	if err := (Claim{Host: "gitlab.com", Owner: "g/s", Repo: "r", Directory: "a/b"}).validate(); err != nil {
		t.Error(err)
	}
}
