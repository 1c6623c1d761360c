//go:build race

package archive

// raceEnabled reports whether the race detector is on: it slows reading about fivefold and
// adds allocations, so time and memory bounds are relaxed (time) or not checked (memory).
const raceEnabled = true
