package compare

import (
	"bytes"
	"path"
	"strings"

	"github.com/mcpvet/mcpvet/analysis/archive"
)

type fileKind int

const (
	kindOther       fileKind = iota
	kindScript               // JavaScript or TypeScript: may be a build output of an upstream source
	kindDeclaration          // TypeScript declarations: never executed
	kindSourceMap            // a source map: checked against upstream when it carries sourcesContent
	kindExecutable           // anything else that runs: native addons, wasm, shell, shebang scripts, binding.gyp
	kindDoc                  // documentation and images: nothing executes them
)

var docExt = map[string]bool{
	".md": true, ".markdown": true, ".txt": true, ".rst": true, ".adoc": true,
	".png": true, ".jpg": true, ".jpeg": true, ".gif": true, ".svg": true, ".ico": true, ".webp": true,
}

var docNames = []string{"license", "licence", "changelog", "notice", "authors", "contributing", "history", "readme", "copying"}

var scriptExt = map[string]bool{".js": true, ".mjs": true, ".cjs": true, ".jsx": true, ".ts": true, ".tsx": true, ".mts": true, ".cts": true}

var executableExt = map[string]bool{
	".node": true, ".wasm": true, ".sh": true, ".bash": true, ".zsh": true, ".py": true, ".pyc": true,
	".exe": true, ".dll": true, ".so": true, ".dylib": true, ".bat": true, ".cmd": true, ".ps1": true,
	".vbs": true, ".jar": true, ".gyp": true, ".rb": true, ".pl": true,
}

func kindOf(f archive.File) fileKind {
	name := strings.ToLower(path.Base(f.Path))
	for _, d := range []string{".d.ts", ".d.mts", ".d.cts"} {
		if strings.HasSuffix(name, d) {
			return kindDeclaration
		}
	}
	ext := path.Ext(name)
	switch {
	case strings.HasSuffix(name, ".js.map") || strings.HasSuffix(name, ".mjs.map") || strings.HasSuffix(name, ".cjs.map"):
		return kindSourceMap
	case scriptExt[ext]:
		return kindScript
	case executableExt[ext], name == "binding.gyp":
		return kindExecutable
	case bytes.HasPrefix(f.Data, []byte("#!")):
		return kindExecutable
	case f.Mode&0o111 != 0 && isBinary(f.Data):
		return kindExecutable
	case docExt[ext]:
		return kindDoc
	}
	for _, d := range docNames {
		if strings.HasPrefix(name, d) {
			return kindDoc
		}
	}
	return kindOther
}

func describeKind(f archive.File) string {
	switch {
	case bytes.HasPrefix(f.Data, []byte("#!")):
		return "a script with a #! line"
	case path.Base(f.Path) == "binding.gyp":
		return "a node-gyp build file, which npm builds at install time"
	case isBinary(f.Data):
		return "a binary"
	}
	return strings.TrimPrefix(path.Ext(f.Path), ".") + " file"
}
