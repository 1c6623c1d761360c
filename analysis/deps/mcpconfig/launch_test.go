package mcpconfig

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

const testDigest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// launchCases is the launch-command table; FuzzParseLaunch is seeded from it.
var launchCases = []struct {
	name     string
	command  string
	args     []string
	want     []string // launchSummary
	problems []string // substrings, in order
	url      string
}{
	// npx and npm exec
	{"npx pinned", "npx", []string{"-y", "@acme/weather-mcp@1.2.3"}, []string{"npm @acme/weather-mcp 1.2.3 pinned #1 npx"}, nil, ""},
	{"npx unscoped pinned", "npx", []string{"postmark-mcp@1.0.16"}, []string{"npm postmark-mcp 1.0.16 pinned #0 npx"}, nil, ""},
	{"npx --yes latest", "npx", []string{"--yes", "pkg@latest"}, []string{"npm pkg latest unpinned #1 npx"}, nil, ""},
	{"npx no version", "npx", []string{"-y", "@modelcontextprotocol/server-memory"}, []string{"npm @modelcontextprotocol/server-memory - unpinned #1 npx"}, nil, ""},
	{"npx scoped no version", "npx", []string{"@scope/name"}, []string{"npm @scope/name - unpinned #0 npx"}, nil, ""},
	{"npx caret range", "npx", []string{"-y", "pkg@^1.2.0"}, []string{"npm pkg ^1.2.0 unpinned #1 npx"}, nil, ""},
	{"npx tilde range", "npx", []string{"pkg@~1.2.0"}, []string{"npm pkg ~1.2.0 unpinned #0 npx"}, nil, ""},
	{"npx partial version is a range", "npx", []string{"pkg@1"}, []string{"npm pkg 1 unpinned #0 npx"}, nil, ""},
	{"npx x-range", "npx", []string{"pkg@1.2.x"}, []string{"npm pkg 1.2.x unpinned #0 npx"}, nil, ""},
	{"npx tag", "npx", []string{"pkg@next"}, []string{"npm pkg next unpinned #0 npx"}, nil, ""},
	{"npx prerelease pinned", "npx", []string{"pkg@2.0.0-beta.1+build.5"}, []string{"npm pkg 2.0.0-beta.1+build.5 pinned #0 npx"}, nil, ""},
	{"npx v-prefixed exact", "npx", []string{"pkg@v1.2.3"}, []string{"npm pkg 1.2.3 pinned #0 npx"}, nil, ""},
	{"npx -p then bin", "npx", []string{"-p", "@acme/tools@1.0.0", "acme-weather", "--port", "1"}, []string{"npm @acme/tools 1.0.0 pinned #1 npx"}, nil, ""},
	{"npx --package= then bin", "npx", []string{"--package=@acme/tools@1.0.0", "--package=helper@2.0.0", "acme"}, []string{"npm @acme/tools 1.0.0 pinned #0 npx", "npm helper 2.0.0 pinned #1 npx"}, nil, ""},
	{"npx -c without package", "npx", []string{"-c", "eslint ."}, []string{"unresolvable(npx --call without --package runs a command of the local project) #1"}, nil, ""},
	{"npx -- separator", "npx", []string{"--", "pkg@1.0.0", "--flag"}, []string{"npm pkg 1.0.0 pinned #1 npx"}, nil, ""},
	{"npx flags after the package are the program's", "npx", []string{"pkg@1.0.0", "-p", "other@2"}, []string{"npm pkg 1.0.0 pinned #0 npx"}, nil, ""},
	{"npx --registry", "npx", []string{"--registry", "https://u:secret@npm.example.com/", "-y", "pkg@1.0.0"}, []string{"npm pkg 1.0.0 pinned #3 npx"}, []string{"npx --registry https://***@npm.example.com/: packages may not come from the public registry"}, ""},
	{"npx alias", "npx", []string{"-y", "weather@npm:@acme/weather-mcp@1.2.3"}, []string{"npm @acme/weather-mcp 1.2.3 pinned #1 npx"}, []string{`"weather" is an alias of "@acme/weather-mcp"`}, ""},
	{"npx npm: prefix", "npx", []string{"npm:pkg@1.0.0"}, []string{"npm pkg 1.0.0 pinned #0 npx"}, nil, ""},
	{"npx git spec", "npx", []string{"-y", "github:acme/weather-mcp"}, []string{`unresolvable(git spec "github:acme/weather-mcp": not a registry release) #1`}, nil, ""},
	{"npx git+https", "npx", []string{"git+https://github.com/acme/x.git#v1"}, []string{`unresolvable(git spec "git+https://github.com/acme/x.git#v1": not a registry release) #0`}, nil, ""},
	{"npx github shorthand", "npx", []string{"acme/weather-mcp"}, []string{`unresolvable(git spec "acme/weather-mcp" (GitHub shorthand): not a registry release) #0`}, nil, ""},
	{"npx tarball url", "npx", []string{"https://example.com/pkg-1.0.0.tgz"}, []string{`unresolvable(URL "https://example.com/pkg-1.0.0.tgz": not a registry release) #0`}, nil, ""},
	{"npx local tarball", "npx", []string{"./pkg-1.0.0.tgz"}, []string{"unresolvable(local code: ./pkg-1.0.0.tgz) #0"}, nil, ""},
	{"npx file spec", "npx", []string{"file:../server"}, []string{"unresolvable(local code: file:../server) #0"}, nil, ""},
	{"npx alias to a git spec", "npx", []string{"x@github:acme/x"}, []string{`unresolvable(non-registry spec "x@github:acme/x": not a registry release) #0`}, nil, ""},
	{"npx invalid name", "npx", []string{"_private"}, []string{`unresolvable(not a valid npm package name: "_private") #0`}, nil, ""},
	{"npx placeholder", "npx", []string{"-y", "${MCP_PKG}"}, []string{"unresolvable(placeholder ${MCP_PKG} in the package position: unresolvable) #1"}, nil, ""},
	{"npx VS Code input", "npx", []string{"-y", "${input:pkg}"}, []string{"unresolvable(placeholder ${input:pkg} in the package position: unresolvable) #1"}, nil, ""},
	{"npx env placeholder", "npx", []string{"${env:PKG}@1.0.0"}, []string{"unresolvable(placeholder ${env:PKG} in the package position: unresolvable) #0"}, nil, ""},
	{"npx Continue secret", "npx", []string{"${{ secrets.PKG }}"}, []string{"unresolvable(placeholder ${{ secrets.PKG }} in the package position: unresolvable) #0"}, nil, ""},
	{"npx mustache", "npx", []string{"{{PACKAGE}}"}, []string{"unresolvable(placeholder {{PACKAGE}} in the package position: unresolvable) #0"}, nil, ""},
	{"npx windows variable", "npx", []string{"%MCP_PACKAGE%"}, []string{"unresolvable(placeholder %MCP_PACKAGE% in the package position: unresolvable) #0"}, nil, ""},
	{"npx shell variable", "npx", []string{"$PKG"}, []string{"unresolvable(placeholder $PKG in the package position: unresolvable) #0"}, nil, ""},
	{"npx placeholder version", "npx", []string{"pkg@${VERSION}"}, []string{"npm pkg ${VERSION} unpinned #0 npx"}, []string{"placeholder ${VERSION} in the version of pkg: unresolvable"}, ""},
	{"npx without package", "npx", []string{"-y"}, []string{"unresolvable(npx without a package) #-1"}, nil, ""},
	{"npm exec", "npm", []string{"exec", "--yes", "--", "@acme/x@3.0.0", "serve"}, []string{"npm @acme/x 3.0.0 pinned #3 npm exec"}, nil, ""},
	{"npm x with package option", "npm", []string{"--yes", "x", "--package=@acme/x@3.0.0", "--", "acme"}, []string{"npm @acme/x 3.0.0 pinned #2 npm exec"}, nil, ""},
	{"npm run is local", "npm", []string{"run", "mcp"}, []string{"unresolvable(local code: npm run mcp) #0"}, nil, ""},
	{"npm start is local", "npm", []string{"--prefix", "server", "start"}, []string{"unresolvable(local code: npm start) #2"}, nil, ""},
	{"absolute npx path", "/usr/local/bin/npx", []string{"-y", "pkg@1.0.0"}, []string{"npm pkg 1.0.0 pinned #1 npx"}, nil, ""},
	{"windows npx.cmd", `C:\Program Files\nodejs\npx.cmd`, []string{"-y", "pkg@1.0.0"}, []string{"npm pkg 1.0.0 pinned #1 npx"}, nil, ""},
	{"command with spaces", "npx -y @acme/x@1.0.0", nil, []string{"npm @acme/x 1.0.0 pinned #-1 npx"}, nil, ""},
	{"command with spaces and args", "npx -y", []string{"@acme/x@1.0.0"}, []string{"npm @acme/x 1.0.0 pinned #0 npx"}, nil, ""},
	// bunx, pnpm dlx, yarn dlx, deno
	{"bunx", "bunx", []string{"@acme/x@1.0.0"}, []string{"npm @acme/x 1.0.0 pinned #0 bunx"}, nil, ""},
	{"bun x", "bun", []string{"x", "--bun", "pkg@latest"}, []string{"npm pkg latest unpinned #2 bunx"}, nil, ""},
	{"bun run is local", "bun", []string{"run", "server.ts"}, []string{"unresolvable(local code: bun run) #0"}, nil, ""},
	{"pnpm dlx", "pnpm", []string{"dlx", "@acme/x@1.0.0"}, []string{"npm @acme/x 1.0.0 pinned #1 pnpm dlx"}, nil, ""},
	{"pnpm dlx --package", "pnpm", []string{"--silent", "dlx", "--package", "@acme/x@1.0.0", "acme"}, []string{"npm @acme/x 1.0.0 pinned #3 pnpm dlx"}, nil, ""},
	{"pnpx", "pnpx", []string{"pkg"}, []string{"npm pkg - unpinned #0 pnpm dlx"}, nil, ""},
	{"yarn dlx -p", "yarn", []string{"dlx", "-p", "@acme/x@1.0.0", "acme"}, []string{"npm @acme/x 1.0.0 pinned #2 yarn dlx"}, nil, ""},
	{"yarn bin is local", "yarn", []string{"acme-mcp"}, []string{"unresolvable(local code: yarn acme-mcp) #0"}, nil, ""},
	{"deno npm", "deno", []string{"run", "-A", "npm:@acme/x@1.0.0"}, []string{"npm @acme/x 1.0.0 pinned #2 deno"}, nil, ""},
	{"deno jsr", "deno", []string{"run", "jsr:@acme/x"}, []string{`unresolvable(JSR package "jsr:@acme/x": the JSR registry is not supported) #1`}, nil, ""},
	// uvx, uv, pipx
	{"uvx pinned with @", "uvx", []string{"mcp-server-fetch@2025.4.7"}, []string{"pypi mcp-server-fetch 2025.4.7 pinned #0 uvx"}, nil, ""},
	{"uvx latest", "uvx", []string{"markitdown-mcp@latest"}, []string{"pypi markitdown-mcp latest unpinned #0 uvx"}, nil, ""},
	{"uvx ==", "uvx", []string{"mcp-server-time==2025.9.25"}, []string{"pypi mcp-server-time 2025.9.25 pinned #0 uvx"}, nil, ""},
	{"uvx range", "uvx", []string{"mcp-server-time>=2025"}, []string{"pypi mcp-server-time >=2025 unpinned #0 uvx"}, nil, ""},
	{"uvx == wildcard", "uvx", []string{"pkg==1.*"}, []string{"pypi pkg ==1.* unpinned #0 uvx"}, nil, ""},
	{"uvx name normalised", "uvx", []string{"Mcp_Server.Fetch"}, []string{"pypi mcp-server-fetch - unpinned #0 uvx"}, nil, ""},
	{"uvx --from then command", "uvx", []string{"--from", "acme-mcp[cli]==0.4.0", "acme"}, []string{"pypi acme-mcp 0.4.0 pinned #1 uvx"}, nil, ""},
	{"uvx --from= @version", "uvx", []string{"--from=acme-mcp@0.4.0", "acme"}, []string{"pypi acme-mcp 0.4.0 pinned #0 uvx"}, nil, ""},
	{"uvx --from git", "uvx", []string{"--from", "git+https://github.com/acme/x", "x"}, []string{`unresolvable(git spec "git+https://github.com/acme/x": not a registry release) #1`}, nil, ""},
	{"uvx --with", "uvx", []string{"--with", "httpx==0.28.1", "--python", "3.12", "acme-mcp==1.0.0"}, []string{"pypi acme-mcp 1.0.0 pinned #4 uvx", "pypi httpx 0.28.1 pinned #1 uvx"}, nil, ""},
	{"uvx --index-url", "uvx", []string{"--index-url", "https://pypi.example.com/simple", "pkg==1.0"}, []string{"pypi pkg 1.0 pinned #2 uvx"}, []string{"uvx --index-url https://pypi.example.com/simple: packages may not come from PyPI"}, ""},
	{"uvx markers", "uvx", []string{"pkg==1.0; python_version >= '3.10'"}, []string{"pypi pkg 1.0 pinned #0 uvx"}, nil, ""},
	{"uvx placeholder", "uvx", []string{"${PKG}"}, []string{"unresolvable(placeholder ${PKG} in the package position: unresolvable) #0"}, nil, ""},
	{"uv tool run", "uv", []string{"tool", "run", "--from", "acme==2.0.0", "acme"}, []string{"pypi acme 2.0.0 pinned #3 uv tool run"}, nil, ""},
	{"uv run local", "uv", []string{"--directory", "/srv/mcp", "run", "server.py"}, []string{"unresolvable(local code: uv run server.py) #3"}, nil, ""},
	{"uv run --with", "uv", []string{"run", "--with", "mcp-proxy==0.8.0", "mcp-proxy", "https://h/sse"}, []string{"pypi mcp-proxy 0.8.0 pinned #2 uv run"}, nil, "https://h/sse"},
	{"pipx run", "pipx", []string{"run", "pycowsay==0.0.0.2"}, []string{"pypi pycowsay 0.0.0.2 pinned #1 pipx run"}, nil, ""},
	{"pipx run --spec", "pipx", []string{"run", "--spec", "acme-tools==2.0.1", "acme"}, []string{"pypi acme-tools 2.0.1 pinned #2 pipx run"}, nil, ""},
	{"pipx install is not a launcher", "pipx", []string{"install", "x"}, []string{"unresolvable(pipx install: not a package launcher) #0"}, nil, ""},
	// docker, podman
	{"docker tag", "docker", []string{"run", "-i", "--rm", "-e", "TOKEN", "ghcr.io/acme/weather:1.2.3"}, []string{"oci ghcr.io/acme/weather 1.2.3 unpinned #5 docker"}, nil, ""},
	{"docker digest", "docker", []string{"run", "-i", "--rm", "mcp/fetch@" + testDigest}, []string{"oci mcp/fetch " + testDigest + " pinned #3 docker"}, nil, ""},
	{"docker tag and digest", "docker", []string{"run", "ghcr.io/acme/w:1.2.3@" + testDigest}, []string{"oci ghcr.io/acme/w " + testDigest + " pinned #1 docker"}, nil, ""},
	{"docker no tag", "docker", []string{"run", "-i", "mcp/fetch"}, []string{"oci mcp/fetch - unpinned #2 docker"}, nil, ""},
	{"docker registry port", "docker", []string{"run", "localhost:5000/acme/x:2"}, []string{"oci localhost:5000/acme/x 2 unpinned #1 docker"}, nil, ""},
	{"docker value flags", "docker", []string{"--context", "prod", "run", "-i", "--rm", "-v", "/data:/data", "--name", "mcp", "--mount", "type=bind,src=/a,dst=/b",
		"--env-file", ".env", "-p", "8080:80", "--network", "host", "-w", "/app", "-u", "1000", "--entrypoint", "/bin/sh", "-eFOO=1", "--platform=linux/amd64", "-it", "img:1"},
		[]string{"oci img 1 unpinned #26 docker"}, nil, ""},
	{"docker container run", "docker", []string{"container", "run", "-i", "img@" + testDigest}, []string{"oci img " + testDigest + " pinned #3 docker"}, nil, ""},
	{"docker bad digest", "docker", []string{"run", "img:1@sha256:abc"}, []string{"oci img 1 unpinned #1 docker"}, []string{`malformed digest in "img:1@sha256:abc": not pinned`}, ""},
	{"docker placeholder image", "docker", []string{"run", "-i", "${IMAGE}"}, []string{"unresolvable(placeholder ${IMAGE} in the package position: unresolvable) #2"}, nil, ""},
	{"docker inner npx", "docker", []string{"run", "-i", "node:22@" + testDigest, "npx", "-y", "pkg@1.0.0"}, []string{"oci node " + testDigest + " pinned #2 docker", "npm pkg 1.0.0 pinned #5 npx"}, nil, ""},
	{"docker exec", "docker", []string{"exec", "-i", "mcp", "server"}, []string{"unresolvable(docker exec: runs in an existing container; its image is unknown) #0"}, nil, ""},
	{"podman", "podman", []string{"run", "-i", "--pod", "p", "quay.io/acme/x:1"}, []string{"oci quay.io/acme/x 1 unpinned #4 podman"}, nil, ""},
	{"docker uppercase image is invalid", "docker", []string{"run", "Acme/X"}, []string{`unresolvable(not a valid image reference: "Acme/X") #1`}, nil, ""},
	// dnx
	{"dnx pinned", "dnx", []string{"Acme.Mcp@0.4.0-beta", "--yes", "--", "mcp", "start"}, []string{"nuget Acme.Mcp 0.4.0-beta pinned #0 dnx"}, nil, ""},
	{"dnx --version", "dnx", []string{"Acme.Mcp", "--version", "1.2.3"}, []string{"nuget Acme.Mcp 1.2.3 pinned #0 dnx"}, nil, ""},
	{"dnx range", "dnx", []string{"Acme.Mcp@[1.0,2.0)"}, []string{"nuget Acme.Mcp [1.0,2.0) unpinned #0 dnx"}, nil, ""},
	{"dotnet tool exec", "dotnet", []string{"tool", "exec", "Acme.Mcp@1.0.0"}, []string{"nuget Acme.Mcp 1.0.0 pinned #2 dnx"}, nil, ""},
	// mcp-remote and bridges
	{"mcp-remote", "npx", []string{"-y", "mcp-remote", "https://remote.example.com/sse"}, []string{"npm mcp-remote - unpinned #1 npx"}, nil, "https://remote.example.com/sse"},
	{"mcp-remote pinned with header", "npx", []string{"mcp-remote@0.1.29", "--header", "A:B", "https://h/mcp"}, []string{"npm mcp-remote 0.1.29 pinned #0 npx"}, nil, "https://h/mcp"},
	{"mcp-remote from PATH", "mcp-remote", []string{"https://h/mcp"}, []string{"npm mcp-remote - unpinned #-1 path"}, []string{"mcp-remote runs from PATH"}, "https://h/mcp"},
	// wrappers
	{"cmd /c words", "cmd", []string{"/c", "npx", "-y", "@acme/x@1.0.0"}, []string{"npm @acme/x 1.0.0 pinned #3 npx"}, nil, ""},
	{"cmd.exe /C one string", `C:\Windows\System32\cmd.exe`, []string{"/d", "/C", `npx -y "@acme/x@1.0.0"`}, []string{"npm @acme/x 1.0.0 pinned #2 npx"}, nil, ""},
	{"cmd /c with placeholder", "cmd", []string{"/c", "npx", "-y", "%PKG%"}, []string{"unresolvable(placeholder %PKG% in the package position: unresolvable) #3"}, nil, ""},
	{"sh -c", "sh", []string{"-c", "npx -y @acme/x@1.0.0"}, []string{"npm @acme/x 1.0.0 pinned #1 npx"}, nil, ""},
	{"bash -lc with cd and redirection", "/bin/bash", []string{"-lc", "cd ~/mcp && exec npx -y 'pkg@1.0.0' 2>>/tmp/log"}, []string{"npm pkg 1.0.0 pinned #1 npx"}, nil, ""},
	{"bash -c sourcing then python", "bash", []string{"-c", "source .venv/bin/activate; python -m acme_mcp"}, []string{"unresolvable(local code: python -m acme_mcp) #1"}, nil, ""},
	{"bash -c two runners", "bash", []string{"-c", "uvx a==1.0.0 | npx b@2.0.0"}, []string{"pypi a 1.0.0 pinned #1 uvx", "npm b 2.0.0 pinned #1 npx"}, nil, ""},
	{"sh -c env assignment redirects registry", "sh", []string{"-c", "npm_config_registry=https://evil.example.com npx -y pkg@1.0.0"}, []string{"npm pkg 1.0.0 pinned #1 npx"}, []string{"environment variable npm_config_registry redirects the package registry"}, ""},
	{"sh -c command substitution", "sh", []string{"-c", "npx -y $(cat pkg.txt)"}, []string{"unresolvable(placeholder $(cat pkg.txt) in the package position: unresolvable) #1"}, nil, ""},
	{"sh script file", "sh", []string{"./run-mcp.sh"}, []string{"unresolvable(local code: sh ./run-mcp.sh) #0"}, nil, ""},
	{"sh -c unbalanced", "sh", []string{"-c", "npx 'pkg"}, []string{"unresolvable(cannot split the shell command: unbalanced quote or substitution) #1"}, nil, ""},
	{"pwsh -Command", "pwsh", []string{"-NoProfile", "-Command", "npx -y @acme/x@1.0.0"}, []string{"npm @acme/x 1.0.0 pinned #2 npx"}, nil, ""},
	{"powershell -EncodedCommand", "powershell.exe", []string{"-EncodedCommand", "bnB4"}, []string{"unresolvable(encoded PowerShell command: unresolvable) #0"}, nil, ""},
	{"env", "/usr/bin/env", []string{"-i", "FOO=1", "npx", "-y", "pkg@1.0.0"}, []string{"npm pkg 1.0.0 pinned #4 npx"}, nil, ""},
	{"env -S", "/usr/bin/env", []string{"-S", "npx -y pkg@1.0.0"}, []string{"npm pkg 1.0.0 pinned #1 npx"}, nil, ""},
	{"systemd-run --", "systemd-run", []string{"--user", "--scope", "-p", "MemoryMax=1G", "--", "uvx", "pkg==1.0"}, []string{"pypi pkg 1.0 pinned #6 uvx"}, nil, ""},
	{"systemd-run without --", "systemd-run", []string{"--user", "-p", "MemoryMax=1G", "uvx", "pkg==1.0"}, []string{"pypi pkg 1.0 pinned #4 uvx"}, nil, ""},
	{"sudo", "sudo", []string{"-u", "mcp", "-E", "npx", "pkg@1.0.0"}, []string{"npm pkg 1.0.0 pinned #4 npx"}, nil, ""},
	{"timeout", "timeout", []string{"-s", "KILL", "1h", "npx", "pkg@1.0.0"}, []string{"npm pkg 1.0.0 pinned #4 npx"}, nil, ""},
	{"op run", "op", []string{"run", "--env-file", ".env", "--", "npx", "-y", "pkg@1.0.0"}, []string{"npm pkg 1.0.0 pinned #6 npx"}, nil, ""},
	{"dotenv", "dotenv", []string{"-e", ".env", "--", "uvx", "pkg@1.0.0"}, []string{"pypi pkg 1.0.0 pinned #4 uvx"}, nil, ""},
	{"nested wrappers", "cmd", []string{"/c", "bash", "-c", "env FOO=1 npx -y pkg@1.0.0"}, []string{"npm pkg 1.0.0 pinned #3 npx"}, nil, ""},
	// local code and PATH
	{"node script", "node", []string{"--enable-source-maps", "-r", "dotenv/config", "dist/index.js"}, []string{"unresolvable(local code: dist/index.js) #3"}, nil, ""},
	{"node eval", "node", []string{"-e", "require('x')"}, []string{"unresolvable(inline code passed to node -e) #0"}, nil, ""},
	{"python -m", "python3.12", []string{"-m", "mcp_server_time"}, []string{"unresolvable(local code: python -m mcp_server_time) #1"}, nil, ""},
	{"python script", "python", []string{"-u", "server.py"}, []string{"unresolvable(local code: server.py) #1"}, nil, ""},
	{"absolute path", "/opt/mcp/bin/server", []string{"--stdio"}, []string{"unresolvable(local code: /opt/mcp/bin/server) #-1"}, nil, ""},
	{"placeholder directory", "${workspaceFolder}/bin/server", nil, []string{"unresolvable(local code: ${workspaceFolder}/bin/server) #-1"}, nil, ""},
	{"placeholder command", "${MCP_COMMAND}", []string{"x"}, []string{"unresolvable(placeholder ${MCP_COMMAND} in the command: unresolvable) #-1"}, nil, ""},
	{"home npx", "$HOME/.local/bin/uvx", []string{"pkg==1.0"}, []string{"pypi pkg 1.0 pinned #0 uvx"}, nil, ""},
	{"go run module", "go", []string{"run", "github.com/acme/mcp@v1.2.3"}, []string{`unresolvable(Go module "github.com/acme/mcp@v1.2.3": the Go ecosystem is not supported) #1`}, nil, ""},
	{"command from PATH", "mcp-server-fetch", nil, []string{"unresolvable(command from PATH: mcp-server-fetch (which package provides it is unknown)) #-1"}, nil, ""},
	{"empty command", "", nil, []string{"unresolvable(empty command) #-1"}, nil, ""},
}

func TestParseLaunchTable(t *testing.T) {
	if len(launchCases) < 60 {
		t.Fatalf("only %d launch cases", len(launchCases))
	}
	names := map[string]bool{}
	for _, tc := range launchCases {
		if names[tc.name] {
			t.Fatalf("duplicate case name %q", tc.name)
		}
		names[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			l := ResolveLaunch(tc.command, tc.args)
			if got := launchSummary(l.Packages); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ResolveLaunch(%q, %q):\n got %q\nwant %q", tc.command, tc.args, got, tc.want)
			}
			if len(l.Problems) != len(tc.problems) {
				t.Errorf("problems %q, want %q", l.Problems, tc.problems)
			} else {
				for i, p := range tc.problems {
					if !strings.Contains(l.Problems[i], p) {
						t.Errorf("problem %d = %q, want it to contain %q", i, l.Problems[i], p)
					}
				}
			}
			if l.URL != tc.url {
				t.Errorf("URL = %q, want %q", l.URL, tc.url)
			}
			pkgs, probs := ParseLaunch(tc.command, tc.args)
			if !reflect.DeepEqual(pkgs, l.Packages) || !reflect.DeepEqual(probs, l.Problems) {
				t.Error("ParseLaunch differs from ResolveLaunch")
			}
			checkLaunchInvariants(t, tc.args, l)
		})
	}
}

// checkLaunchInvariants holds for every launch: at least one package; each names a package or says
// why not; pinned implies a version; ArgIndex points into args.
func checkLaunchInvariants(t *testing.T, args []string, l Launch) {
	t.Helper()
	if len(l.Packages) == 0 || len(l.Packages) > MaxLaunchPackages+1 {
		t.Errorf("%d packages", len(l.Packages))
	}
	for _, p := range l.Packages {
		if p.Pinned && p.Version == "" {
			t.Errorf("pinned without a version: %+v", p)
		}
		if (p.Unresolvable == "") == (p.Name == "") {
			t.Errorf("a package must name a package or say why not: %+v", p)
		}
		if p.Unresolvable == "" && p.Ecosystem == "" {
			t.Errorf("named package without an ecosystem: %+v", p)
		}
		if p.ArgIndex < -1 || p.ArgIndex >= len(args) {
			t.Errorf("ArgIndex %d with %d args", p.ArgIndex, len(args))
		}
	}
	if l.URL != "" && (l.URLArg < -1 || l.URLArg >= len(args)) {
		t.Errorf("URLArg %d with %d args", l.URLArg, len(args))
	}
}

func TestLaunchLimits(t *testing.T) {
	t.Run("MaxArgs", func(t *testing.T) {
		args := make([]string, MaxArgs)
		for i := range args {
			args[i] = "--yes"
		}
		args[MaxArgs-1] = "pkg@1.0.0"
		if got := launchSummary(ResolveLaunch("npx", args).Packages); !reflect.DeepEqual(got, []string{fmt.Sprintf("npm pkg 1.0.0 pinned #%d npx", MaxArgs-1)}) {
			t.Errorf("at the limit: %q", got)
		}
		got := ResolveLaunch("npx", append(args, "x")).Packages
		if len(got) != 1 || !strings.Contains(got[0].Unresolvable, "too many arguments (257; at most 256") {
			t.Errorf("over the limit: %+v", got)
		}
	})
	t.Run("MaxArgLen", func(t *testing.T) {
		long := strings.Repeat("a", MaxArgLen)
		if got := ResolveLaunch("npx", []string{"pkg@1.0.0", long}).Packages; len(got) != 1 || got[0].Unresolvable != "" {
			t.Errorf("at the limit: %+v", got)
		}
		got := ResolveLaunch("npx", []string{"pkg@1.0.0", long + "a"}).Packages
		if len(got) != 1 || !strings.Contains(got[0].Unresolvable, "argument 1 is longer than") || got[0].ArgIndex != 1 {
			t.Errorf("over the limit: %+v", got)
		}
		if got := ResolveLaunch(strings.Repeat("x", MaxArgLen+1), nil).Packages; !strings.Contains(got[0].Unresolvable, "command longer than") {
			t.Errorf("long command: %+v", got)
		}
	})
	t.Run("MaxWrapDepth", func(t *testing.T) {
		chain := func(n int) []string {
			var args []string
			for i := 1; i < n; i++ {
				args = append(args, "env")
			}
			return append(args, "npx", "pkg@1.0.0")
		}
		// "env" as the command is depth 0; n envs put npx at depth n.
		if got := ResolveLaunch("env", chain(MaxWrapDepth)).Packages; got[0].Unresolvable != "" {
			t.Errorf("at the limit: %+v", got)
		}
		if got := ResolveLaunch("env", chain(MaxWrapDepth+1)).Packages; !strings.Contains(got[0].Unresolvable, "wrappers nested more than 8 deep") {
			t.Errorf("over the limit: %+v", got)
		}
	})
	t.Run("MaxLaunchPackages", func(t *testing.T) {
		script := func(n int) string {
			var cmds []string
			for i := 0; i < n; i++ {
				cmds = append(cmds, fmt.Sprintf("npx p%d@1.0.0", i))
			}
			return strings.Join(cmds, "; ")
		}
		if got := ResolveLaunch("sh", []string{"-c", script(MaxLaunchPackages)}).Packages; len(got) != MaxLaunchPackages || got[MaxLaunchPackages-1].Unresolvable != "" {
			t.Errorf("at the limit: %d packages", len(got))
		}
		got := ResolveLaunch("sh", []string{"-c", script(MaxLaunchPackages + 5)}).Packages
		if len(got) != MaxLaunchPackages+1 || !strings.Contains(got[MaxLaunchPackages].Unresolvable, "more than 64 packages") {
			t.Errorf("over the limit: %d packages", len(got))
		}
	})
}

func TestPlaceholder(t *testing.T) {
	for in, want := range map[string]string{
		"${A}": "${A}", "x${input:pkg}y": "${input:pkg}", "${{ secrets.X }}": "${{ secrets.X }}", "{{X}}": "{{X}}",
		"%APPDATA%\\x": "%APPDATA%", "$HOME/x": "$HOME", "$(id)": "$(id)", "`id`": "`id`", "${unclosed": "${unclosed",
		"100%": "", "50% of 60%": "", "a$": "", "plain@1.0.0": "", "{x}": "", "$1": "",
	} {
		if got := placeholder(in); got != want {
			t.Errorf("placeholder(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSplitScript(t *testing.T) {
	for in, want := range map[string][][]string{
		`a b`:                             {{"a", "b"}},
		`a 'b c' "d \"e\"" f\ g`:          {{"a", "b c", `d "e"`, "f g"}},
		"a && b || c; d | e & f\ng":       {{"a"}, {"b"}, {"c"}, {"d"}, {"e"}, {"f"}, {"g"}},
		`a >out 2>&1 b <in c 2>/dev/null`: {{"a", "b", "c"}},
		`(cd x && y)`:                     {{"cd", "x"}, {"y"}},
		"a \\\n b":                        {{"a", "b"}},
	} {
		got, err := splitScript(in, modePOSIX)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("splitScript(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if got, _ := splitScript(`npx -y "a b" ^& c`, modeCmd); !reflect.DeepEqual(got, [][]string{{"npx", "-y", "a b", "&", "c"}}) {
		t.Errorf("cmd mode: %q", got)
	}
}
