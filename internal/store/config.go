package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// SaveConfigSnapshot records a configuration the router loaded and returns the
// snapshot's id. Every load is recorded, identical or not, so the table reads
// as a history of loads; sha256 finds identical bodies.
func (s *Store) SaveConfigSnapshot(ctx context.Context, body []byte) (int64, error) {
	sum := sha256.Sum256(body)
	var id int64
	err := s.pool.QueryRow(ctx, `INSERT INTO config_snapshots (sha256, body) VALUES ($1, $2) RETURNING id`,
		hex.EncodeToString(sum[:]), string(body)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: save config snapshot: %w", err)
	}
	return id, nil
}
