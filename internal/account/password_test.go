package account

import "testing"

func TestPasswordMatches(t *testing.T) {
	h, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	u := &User{Username: "ann", PasswordHash: h}
	for _, c := range []struct {
		u    *User
		pw   string
		want bool
	}{
		{u, "correct horse", true},
		{u, "correct horse ", false},
		{u, "", false},
		{nil, "correct horse", false},
		{&User{Username: "bob"}, "", false}, // no hash at all
	} {
		if got := PasswordMatches(c.u, c.pw); got != c.want {
			t.Errorf("PasswordMatches(%v, %q) = %v, want %v", c.u != nil, c.pw, got, c.want)
		}
	}
}
