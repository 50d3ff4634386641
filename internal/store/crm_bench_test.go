package store_test

import (
	"context"
	"fmt"
	"testing"

	"switchboard/crm"
	"switchboard/internal/pgtest"
	"switchboard/internal/store"
)

// BenchmarkIdentify: a caller identified by number among 20,000 customers (the screen pop's
// first query), through the real database.
func BenchmarkIdentify(b *testing.B) {
	ctx := context.Background()
	s := store.New(pgtest.Pool(b))
	c := s.CRM(store.CRMOptions{})
	const n = 20_000
	for _, q := range []string{
		fmt.Sprintf(`INSERT INTO customers (name, created_at, updated_at) SELECT 'Customer ' || i, now(), now() FROM generate_series(1, %d) i`, n),
		`INSERT INTO customer_phones (customer_id, number, seq) SELECT id, '+4930' || (1000000 + id), 1 FROM customers`,
		`INSERT INTO customer_accounts (customer_id, account, seq) SELECT id, 'A-' || id, 1 FROM customers`,
		`ANALYZE`,
	} {
		if _, err := s.Pool().Exec(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	i := 0
	for b.Loop() {
		i++
		id := 1 + i%n
		cs, err := c.Identify(ctx, fmt.Sprintf("+4930%d", 1000000+id), "")
		if err != nil || len(cs) != 1 || cs[0].By != crm.ByNumber {
			b.Fatalf("%+v %v", cs, err)
		}
	}
}
