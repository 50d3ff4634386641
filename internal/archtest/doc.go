// Package archtest holds the tests that keep the layers apart and the router readable. Cores
// (acd, ivr, recording, crm, and under internal/ the router's call control, account and inbox)
// import only cores; an adapter under internal/ imports only cores and its own subpackages;
// cmd/ and the load test wire them together. It has no code of its own.
package archtest
