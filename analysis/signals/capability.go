package signals

import "strings"

// credNeedle is a credential file or directory name looked for in string literals.
type credNeedle struct {
	needle string
}

// credentialNeedles lists the credential paths whose appearance in a string literal counts as a
// capability: SSH keys, cloud and registry credentials, dotenv files, GnuPG, keychains.
func credentialNeedles() []credNeedle {
	return []credNeedle{
		{".ssh"}, {"id_rsa"}, {"id_ed25519"}, {"id_ecdsa"}, {"id_dsa"},
		{".aws"}, {".config/gcloud"}, {".azure"}, {".kube/config"}, {".docker/config.json"},
		{".npmrc"}, {".yarnrc"}, {".pypirc"}, {".netrc"}, {".git-credentials"},
		{".env"}, {".gnupg"}, {"Keychains"}, {"login.keychain"},
		{"find-generic-password"}, {"find-internet-password"},
	}
}

// find returns the offset of the first occurrence of the needle in v that stands on its own: not
// preceded by an identifier character ("process.env" is not ".env") and not followed by a letter, digit
// or underscore (".environment" is not ".env", ".env.local" is). It returns -1 when there is none.
func (c credNeedle) find(v string) int {
	for k := 0; k < len(v); {
		i := strings.Index(v[k:], c.needle)
		if i < 0 {
			return -1
		}
		i += k
		j := i + len(c.needle)
		if (i == 0 || !isIdentByte(v[i-1])) && (j == len(v) || !isWordByte(v[j])) {
			return i
		}
		k = i + 1
	}
	return -1
}

func isWordByte(c byte) bool {
	return isASCIILetter(c) || c >= '0' && c <= '9' || c == '_'
}

func isIdentByte(c byte) bool { return isWordByte(c) || c == '$' }
