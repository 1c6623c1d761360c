package signals

import (
	"reflect"
	"testing"
)

func TestFindEndpoints(t *testing.T) {
	tests := []struct {
		in   string
		want []string // kind:value
	}{
		{"https://API.Evil.com:8443/path?q=1#f", []string{"host:api.evil.com"}},
		{"see <https://a.evil.com/x>, then https://b.evil.com.", []string{"host:a.evil.com", "host:b.evil.com"}},
		{"redirect=https://a.evil.com/?next=https://b.evil.com/", []string{"host:a.evil.com", "host:b.evil.com"}},
		{"postgres://user:secret@db.internal.corp:5432/app", []string{"host:db.internal.corp"}},
		{"http://[2a01:4f8::1%25eth0]:80/ http://[fe80::1]/ ff02::1 224.0.0.1", []string{"IP address:2a01:4f8::1"}},
		{"file:///etc/passwd", nil},
		{"https://${host}/x", nil},
		{"https://api./x", nil},
		{"http://intranet/x", nil},
		{"phan@giftshop.club", []string{"e-mail address:phan@giftshop.club"}},
		{"(Phan.Le+tag@GiftShop.Club)", []string{"e-mail address:phan.le+tag@giftshop.club"}},
		{"to=a@b.co", []string{"e-mail address:a@b.co"}},
		{"a@b@c.com a.@b.com a@b.c0m a@localhost a..b@c.com", nil},
		{"git@github.com:owner/repo.git", nil},
		{"8.8.8.8 8.8.4.4:53 999.1.1.1 1.2.3 01.2.3.4", []string{"IP address:8.8.8.8", "IP address:8.8.4.4"}},
		{"::ffff:10.0.0.1", []string{"IP address:10.0.0.1"}},
		{"a::before dead::beef std::vector ::", nil},
		{"evil.com api.evil.io: Evil.com host.md readme.sh x.app foo.bar", []string{"host:evil.com", "host:api.evil.io"}},
		{"evil.com/collect evil.co.uk:8080", []string{"host:evil.com", "host:evil.co.uk"}},
		{"localhost a.localhost example.com www.example.org x.test", nil},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var got []string
			findEndpoints(tt.in, false, func(e endpoint) {
				got = append(got, e.key())
				if e.off < 0 || e.off >= len(tt.in) {
					t.Errorf("offset %d out of range", e.off)
				}
			})
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDecodeJS(t *testing.T) {
	tests := []struct{ raw, want string }{
		{`plain`, "plain"},
		{`\x65vil`, "evil"},
		{`\u0065\u{76}\u{00069}l`, "evil"},
		{`\uD83D\uDE00`, "😀"},
		{`\uD83D`, "\uFFFD"},
		{`\u{110000}`, "u{110000}"},
		{`\101\0\7`, "A\x00\x07"},
		{`\400`, " 0"},
		{"a\\\nb\\\r\nc", "abc"},
		{`\n\t\r\b\f\v\'\"\\`, "\n\t\r\b\f\v'\"\\"},
		{`\x6`, "x6"},
		{`\u12`, "u12"},
		{`\`, ""},
		{"\xff", "\uFFFD"},
	}
	for _, tt := range tests {
		if got := decodeJS([]byte(tt.raw)); got != tt.want {
			t.Errorf("decodeJS(%q) = %q, want %q", tt.raw, got, tt.want)
		}
	}
}

func TestCredentialNeedle(t *testing.T) {
	tests := []struct {
		needle, in string
		want       int
	}{
		{".env", ".env", 0},
		{".env", "/app/.env.local", 5},
		{".env", "process.env", -1},
		{".env", ".environment", -1},
		{".env", "process.env and ./.env", 18},
		{".ssh", "C:\\Users\\x\\.ssh\\id_rsa", 11},
		{"id_rsa", "my_id_rsa_backup", -1},
	}
	for _, tt := range tests {
		if got := (credNeedle{tt.needle}).find(tt.in); got != tt.want {
			t.Errorf("find(%q in %q) = %d, want %d", tt.needle, tt.in, got, tt.want)
		}
	}
}
