package crm

import (
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
)

func TestParseTemplate(t *testing.T) {
	for _, tt := range []struct {
		in, err string
		want    string // expanded with number "+49 30" and account "A/1"
	}{
		{in: "https://crm.example/c?phone={number}&acct={account}", want: "https://crm.example/c?phone=%2B49%2030&acct=A%2F1"},
		{in: "http://crm:8080/customers/{account}/card", want: "http://crm:8080/customers/A%2F1/card"},
		{in: "", err: "empty"},
		{in: "https://crm.example/{phone}", err: "unknown placeholder {phone}"},
		{in: "https://crm.example/{number", err: "'{' without '}'"},
		{in: "https://crm.example/}", err: "'}' without '{'"},
		{in: "ftp://crm.example/{number}", err: "http:// or https://"},
		{in: "/relative/{number}", err: "http:// or https://"},
		{in: "https://user:pw@crm.example/{number}", err: "credentials"},
		{in: "https://{number}.crm.example/", err: "must not come from a placeholder"},
		{in: "https://{number}/", err: "must not come from a placeholder"},
		{in: "https:///{number}", err: "no host"},
		{in: "{number}", err: "http:// or https://"},
	} {
		tm, err := ParseTemplate(tt.in, "number", "account")
		if tt.err != "" {
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		got := tm.Expand(func(n string) string { return map[string]string{"number": "+49 30", "account": "A/1"}[n] })
		if got != tt.want {
			t.Errorf("%q expands to %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMapping(t *testing.T) {
	if _, err := ParseMapping(map[string]string{"segment": "a"}); err == nil {
		t.Fatal("mapping without name accepted")
	}
	for _, bad := range []map[string]string{{"name": "a..b"}, {"name": ""}, {"name": "a", "email": "b"}, {"name": "a[0]"},
		{"name": strings.Repeat("a.", 40) + "a"}} {
		if _, err := ParseMapping(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("%v: %v", bad, err)
		}
	}
	m, err := ParseMapping(map[string]string{"name": "d.0.n", "segment": "d.0.s", "phones": "d.0.p", "accounts": "d.1", "id": "d.0.id", "language": "d.0.10"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		doc   string
		found bool
		want  Customer
		id    string
	}{
		{`{"d":[{"n":"Bo","s":"B2B","p":"+4930","id":12.5,"10":"de"},"X-1"]}`, true,
			Customer{Name: "Bo", Segment: B2B, Phones: []string{"+4930"}, Accounts: []string{"X-1"}, Language: "de"}, "12.5"},
		{`{"d":[{"n":"Bo","s":"gold","p":["1",2,null,{}]}]}`, true, Customer{Name: "Bo", Segment: Standard, Phones: []string{"1", "2"}}, ""},
		{`{"d":[{"n":"  "}]}`, false, Customer{}, ""},
		{`{"d":{"0":{"n":"obj"}}}`, true, Customer{Name: "obj", Segment: Standard}, ""},
		{`{"d":[]}`, false, Customer{}, ""},
		{`[1,2]`, false, Customer{}, ""},
		{`null`, false, Customer{}, ""},
	} {
		dec := json.NewDecoder(strings.NewReader(tt.doc))
		dec.UseNumber()
		var doc any
		if err := dec.Decode(&doc); err != nil {
			t.Fatal(err)
		}
		got, found := m.Extract(doc)
		if found != tt.found || got.ID != tt.id || got.Customer.Name != tt.want.Name || got.Customer.Segment != tt.want.Segment ||
			!slices.Equal(got.Customer.Phones, tt.want.Phones) || !slices.Equal(got.Customer.Accounts, tt.want.Accounts) ||
			got.Customer.Language != tt.want.Language {
			t.Errorf("%s: %+v %v, want %+v %v", tt.doc, got, found, tt.want, tt.found)
		}
	}
}

func FuzzParseTemplate(f *testing.F) {
	for _, s := range []string{"https://crm.example/c?phone={number}&acct={account}", "http://h/{number}{account}", "{", "}{", "https://{number}/"} {
		f.Add(s, "+4930", "A&1")
	}
	f.Fuzz(func(t *testing.T, in, number, account string) {
		tm, err := ParseTemplate(in, "number", "account")
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error not typed: %v", err)
			}
			return
		}
		if tm.String() != in {
			t.Fatalf("String() = %q", tm.String())
		}
		got := tm.Expand(func(n string) string {
			if n == "number" {
				return number
			}
			return account
		})
		u, err := url.Parse(got)
		if err != nil {
			t.Fatalf("%q expands to a bad URL %q: %v", in, got, err)
		}
		if u.Host != tm.Host() || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil {
			t.Fatalf("%q with %q/%q: host %q scheme %q, template host %q", in, number, account, u.Host, u.Scheme, tm.Host())
		}
	})
}

func FuzzParseMapping(f *testing.F) {
	f.Add("data.customer.full_name", "data.phones", `{"data":{"customer":{"full_name":"A"},"phones":["+4930"]}}`)
	f.Add("a.0", "a.1.b", `{"a":["x",{"b":"y"}]}`)
	f.Add("a..b", "", `[]`)
	f.Fuzz(func(t *testing.T, name, phones, doc string) {
		spec := map[string]string{"name": name}
		if phones != "" {
			spec["phones"] = phones
		}
		m, err := ParseMapping(spec)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error not typed: %v", err)
			}
			return
		}
		if got := m["name"].String(); got != name {
			t.Fatalf("path %q prints as %q", name, got)
		}
		var v any
		if json.Unmarshal([]byte(doc), &v) != nil {
			return
		}
		if ext, found := m.Extract(v); found && strings.TrimSpace(ext.Customer.Name) == "" {
			t.Fatalf("found without a name: %+v", ext)
		}
	})
}
