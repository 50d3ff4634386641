package account

import (
	"crypto/rand"
	"sync"

	"golang.org/x/crypto/bcrypt"
)

// MaxPassword is the longest password in bytes: bcrypt reads no further.
const MaxPassword = 72

// HashPassword returns the bcrypt hash to store for a password.
func HashPassword(pw string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	if err != nil {
		return "", err
	}
	return string(h), nil
}

// unknownHash is a bcrypt hash of nothing anyone knows, computed once, when first needed.
var unknownHash = sync.OnceValue(func() []byte {
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	h, _ := bcrypt.GenerateFromPassword(secret, bcrypt.DefaultCost)
	return h
})

// PasswordMatches says whether pw is u's password. A nil u (no such user) costs the same
// bcrypt work as a wrong password, so that timing does not tell which names exist.
func PasswordMatches(u *User, pw string) bool {
	hash := unknownHash()
	if u != nil {
		hash = []byte(u.PasswordHash)
	}
	return bcrypt.CompareHashAndPassword(hash, []byte(pw)) == nil && u != nil
}
