// Package account holds who may use Switchboard: users and their roles, browser sessions, API
// tokens and the audit trail, with the interfaces of the store that keeps them. It does no
// I/O: internal/store implements the interfaces, internal/web uses them.
package account
