// Package recording holds the call-recording rules that do not touch a disk, a network or a
// database: whether a call is recorded (a queue's policy: always, never, a sampled share, or on
// the agent's demand), how long a recording is kept (per-queue retention) and how a purge
// removes it (Purge, over a PurgeIndex), what a search of the index asks (Query, over an
// Index), whether a file is the one indexed (CheckSize, CheckSum), and the reading of a WAV
// file's header (format and duration, with bounds checks, for files that come from outside).
//
// The router decides and fetches, the store indexes, checks and purges, the web side plays back;
// they all speak of a recording as a Recording, and show it with one JSON shape (the search,
// a ticket, the screen pop).
package recording
