package account

import "testing"

func TestProfileCheck(t *testing.T) {
	langs := []string{"en", "ru"}
	for _, ok := range []Profile{{}, {Language: "ru"}, {TimeZone: "Europe/Moscow"}, {Language: "en", TimeZone: "UTC"}} {
		if err := ok.Check(langs); err != nil {
			t.Errorf("%+v: %v", ok, err)
		}
	}
	for _, bad := range []Profile{{Language: "de"}, {TimeZone: "Mars/Olympus"}, {TimeZone: "Local"}, {TimeZone: "../../etc/passwd"}, {TimeZone: "/etc/localtime"}} {
		if err := bad.Check(langs); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}
