// Package archtest holds the test that keeps the layers apart: cores (the engine, IVR,
// callbacks, recordings, CRM and the router's call control) import no adapter, adapters import
// no other adapter, and only cmd/ and the load test wire them together. It has no code of its
// own.
package archtest
