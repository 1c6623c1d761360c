// Package registry is mcpvet's client for package registries, npm first: it reads npm configuration
// (.npmrc registries, scoped registries, nerf-darted tokens), fetches packuments, and downloads tarballs
// whose bytes it verifies against the published integrity before anyone sees them, caching them on disk
// by content digest.
//
// Everything a registry sends is treated as hostile: sizes are bounded (Limits), JSON is decoded leniently
// but never trusted, tarball URLs are confined to the package's registry host, and tokens never appear in
// errors or logs.
//
// Like every package under analysis/, it must not import app/, action/ or any GitHub client.
package registry
